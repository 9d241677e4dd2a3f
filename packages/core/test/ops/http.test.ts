import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { createMetrics, METRIC, startOpsServer } from '../../src/index.js';

let server: Server | undefined;
afterEach(() => server?.close());

async function start(health: { live: boolean; ready: boolean; assignment?: Record<string, number[]> }) {
  const metrics = createMetrics('test');
  server = await startOpsServer(0, health, metrics.registry, '127.0.0.1');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { metrics, url: (path: string) => `http://127.0.0.1:${port}${path}` };
}

describe('operations endpoint', () => {
  it('answers /readyz 503 until ready, then 200 with the assignment', async () => {
    const health = { live: true, ready: false, assignment: {} as Record<string, number[]> };
    const { url } = await start(health);
    expect((await fetch(url('/readyz'))).status).toBe(503);
    expect((await fetch(url('/healthz'))).status).toBe(200);
    health.ready = true;
    health.assignment = { ride_started: [0, 2] };
    const response = await fetch(url('/readyz'));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ready: true, assignment: { ride_started: [0, 2] } });
  });

  it('serves Prometheus text whose counters move with load', async () => {
    const { metrics, url } = await start({ live: true, ready: true });
    const report = {
      topic: 'ride_started',
      partition: 1,
      records: 40,
      lastOffset: '139',
      highWatermark: '200',
      deadLettered: [{ code: 'FLEET_SERDE_DECODE_FAILED' }],
      skipped: [{ code: 'FLEET_SERDE_WRONG_SCHEMA' }],
      produced: 39,
      decodeMs: 1,
      processMs: 2,
      produceMs: 3,
      consumeMs: [4, 6],
    };
    metrics.observeBatch(report);
    metrics.observeBatch(report);
    const text = await (await fetch(url('/metrics'))).text();
    expect(text).toContain(`${METRIC.consumed}{topic="ride_started",service="test"} 80`);
    expect(text).toContain(`${METRIC.produced}{service="test"} 78`);
    expect(text).toContain(`${METRIC.deadLettered}{code="FLEET_SERDE_DECODE_FAILED",service="test"} 2`);
    expect(text).toContain(`${METRIC.errors}{code="FLEET_SERDE_WRONG_SCHEMA",service="test"} 2`);
    expect(text).toContain(`${METRIC.lag}{topic="ride_started",partition="1",service="test"} 60`);
    expect(text).toMatch(new RegExp(`${METRIC.hop}_count\\{[^}]*hop="consume"[^}]*\\} 4\n`));
    expect(text).toMatch(new RegExp(`${METRIC.hop}_sum\\{[^}]*hop="produce"[^}]*\\} 0.006\n`));
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
    // Every sample line parses as `name{labels} value` (Go's ParseFloat, used by Prometheus, takes "Nan" too).
    for (const line of samples) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/i);
  });

  it('answers 404 elsewhere', async () => {
    const { url } = await start({ live: true, ready: true });
    expect((await fetch(url('/nope'))).status).toBe(404);
  });
});

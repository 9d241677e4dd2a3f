import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AdminClient, CommonConfig } from '@fleet/core';
import { createCollector, type Target } from '../src/dashboard/collect.js';

/** A decision instance's /metrics: its decisions counter and an event → output histogram of `count` rides at 5 ms. */
function metrics(decisions: number): string {
  return [
    `fleet_decisions_total{complete="true"} ${decisions}`,
    `fleet_event_to_output_seconds_bucket{le="0.005"} ${decisions}`,
    `fleet_event_to_output_seconds_bucket{le="0.05"} ${decisions}`,
    `fleet_event_to_output_seconds_bucket{le="+Inf"} ${decisions}`,
    `fleet_event_to_output_seconds_count ${decisions}`,
    `fleet_event_to_output_seconds_sum ${decisions * 0.005}`,
    '',
  ].join('\n');
}

/** A process serving whatever `body` holds now; null answers 500 (a scrape that fails). */
async function instance(): Promise<{ server: Server; port: number; body: { text: string | null } }> {
  const body: { text: string | null } = { text: null };
  const server = createServer((_, res) => {
    res.statusCode = body.text === null ? 500 : 200;
    res.end(body.text ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, body };
}

const admin = { listTopics: async () => [] } as unknown as AdminClient;
const config = { topicRides: 'rides', groupPrefix: 'fleet' } as unknown as CommonConfig;

describe("the dashboard's collector", () => {
  let a: Awaited<ReturnType<typeof instance>>;
  let b: Awaited<ReturnType<typeof instance>>;
  beforeAll(async () => {
    [a, b] = await Promise.all([instance(), instance()]);
  });
  afterAll(() => {
    a.server.close();
    b.server.close();
  });

  it('keeps the decision rate steady when one instance misses a refresh or restarts', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const targets: Target[] = [
        { service: 'decision', port: a.port },
        { service: 'decision', port: b.port },
      ];
      const collect = createCollector(admin, config, () => targets);
      // Each instance decides 100 rides per second; refreshes every second.
      const at = (second: number, aText: string | null, bText: string | null) => {
        vi.setSystemTime(second * 1000);
        a.body.text = aText;
        b.body.text = bText;
        return collect();
      };
      expect((await at(1, metrics(100), metrics(1000))).decisionsPerSec).toBeNull();
      expect((await at(2, metrics(200), metrics(1100))).decisionsPerSec).toBe(200);
      // b's scrape fails: a's rate alone, not a drop to zero.
      expect((await at(3, metrics(300), null)).decisionsPerSec).toBe(100);
      // b answers again, 200 decisions later over two seconds: still 100/s each, not a spike.
      const back = await at(4, metrics(400), metrics(1300));
      expect(back.decisionsPerSec).toBe(200);
      // b restarted: its counter is back near zero; its 100 decisions since count, nothing negative.
      expect((await at(5, metrics(500), metrics(100))).decisionsPerSec).toBe(200);
      // The latency of the last seconds only, from both instances.
      const latest = await at(6, metrics(600), metrics(200));
      expect(latest.latencyMs?.count).toBe(500 + 200);
      expect(latest.latencyMs?.p99).toBeLessThanOrEqual(5);
    } finally {
      vi.useRealTimers();
    }
  });
});

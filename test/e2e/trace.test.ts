import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetClient } from '@fleet/client';
import { loadRideCsv, MODEL_NAMES, type RideStarted } from '@fleet/contract';
import { createTracing } from '@fleet/core';
import { createOnlineProcess } from '@fleet/online';
import { startFleet, type FleetHarness } from '../fleet-harness.js';
import { eventually, randomName, testLogger } from '../helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

const JOIN_TIMEOUT_MS = 20_000;
/** The fleet's groups join (a first join), then the rides are decided, at the latest at the join timeout. */
const DECIDED_WITHIN_MS = REBALANCE_TIMEOUT_MS + JOIN_TIMEOUT_MS + WORK_ALLOWANCE_MS;

const service = (s: ReadableSpan) => String(s.resource.attributes['service.name']);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('a ride traced from the backend to its decision (W3C traceparent in Kafka headers)', () => {
  const exporter = new InMemorySpanExporter();
  let fleet: FleetHarness;
  let rides: RideStarted[];

  beforeAll(
    async () => {
      fleet = await startFleet({ joinTimeoutMs: JOIN_TIMEOUT_MS, spanExporter: exporter });
      const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
      rides = rows
        .flatMap((r) => (r.ok ? [r.ride] : []))
        .slice(0, 5)
        .map((r, i) => ({ ...r, ride_id: `${randomName('traced')}-${i}`, event_time: Date.now() }));
    },
    testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS),
  );
  afterAll(async () => {
    await fleet?.stop();
  });

  it(
    'puts every hop of a ride in one trace: publish → decode, score, produce per model → decode, join, produce',
    { timeout: testTimeoutMs(DECIDED_WITHIN_MS) },
    async () => {
      await fleet.publisher.publish(rides);
      const decisionsTopic = fleet.topics.decisions;
      const traceOf = (rideId: string) => {
        const spans = exporter.getFinishedSpans();
        const root = spans.find((s) => s.attributes['fleet.ride_id'] === rideId);
        return root ? spans.filter((s) => s.spanContext().traceId === root.spanContext().traceId) : [];
      };
      await eventually(
        () => rides.every((r) => traceOf(r.ride_id).some((s) => s.name === `produce ${decisionsTopic}`)),
        'the decision of every ride produced, in its trace',
        DECIDED_WITHIN_MS,
      );

      for (const ride of rides) {
        const spans = traceOf(ride.ride_id);
        const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
        const [root, ...others] = spans.filter((s) => parentOf(s) === undefined);
        expect(others, 'one root').toEqual([]);
        expect([service(root), root.name]).toEqual(['backend', `publish ${fleet.topics.rides}`]);
        // Connected: every other span's parent is a span of the same trace.
        for (const s of spans) if (s !== root) expect(byId.has(parentOf(s)!), `${service(s)} ${s.name}`).toBe(true);

        const named = (svc: string, name: string) => spans.filter((s) => service(s) === svc && s.name === name);
        const modelProduces = new Set<string>();
        for (const model of MODEL_NAMES) {
          const [decode] = named(model, `decode ${fleet.topics.rides}`);
          const [score] = named(model, 'score');
          const [produce] = named(model, `produce ${fleet.topics.predictions}`);
          expect(parentOf(decode), `${model} decode`).toBe(root.spanContext().spanId);
          expect(parentOf(score), `${model} score`).toBe(root.spanContext().spanId);
          expect(parentOf(produce), `${model} produce`).toBe(score.spanContext().spanId);
          modelProduces.add(produce.spanContext().spanId);
        }
        const decodes = named('decision', `decode ${fleet.topics.predictions}`);
        expect(new Set(decodes.map(parentOf))).toEqual(modelProduces);
        const [join] = named('decision', 'join');
        // The join continues the first prediction's branch and links the other two.
        expect(modelProduces.has(parentOf(join)!)).toBe(true);
        expect(new Set([parentOf(join), ...join.links.map((l) => l.context.spanId)])).toEqual(modelProduces);
        const [produce] = named('decision', `produce ${decisionsTopic}`);
        expect(parentOf(produce)).toBe(join.spanContext().spanId);
      }
    },
  );
});

describe('a quote traced from the client through the online service (traceparent in HTTP headers)', () => {
  it(
    'puts the client request, the server request and its scoring in one trace',
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    async () => {
      const exporter = new InMemorySpanExporter();
      const online = await createOnlineProcess({
        env: { ONLINE_PORT: '0' },
        logger: testLogger(),
        spanExporter: exporter,
      });
      const port = await online.service.start();
      const tracing = createTracing({ service: 'backend', exporter: 'none', endpoint: '' }, exporter);
      const client = createFleetClient({
        env: { ONLINE_URL: `http://127.0.0.1:${port}` },
        logger: testLogger(),
        tracing,
      });
      let spans: ReadableSpan[];
      try {
        const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
        const ride = rows.flatMap((r) => (r.ok ? [r.ride] : []))[0];
        const quote = await client.quote(ride);
        expect(quote.ride_id).toBe(ride.ride_id);
        // Read before the processes stop: shutting a provider down empties the in-memory exporter.
        spans = exporter.getFinishedSpans();
      } finally {
        await client.close();
        await online.stop();
        await tracing.shutdown();
      }
      const [request] = spans.filter((s) => service(s) === 'backend' && s.name === 'POST /v1/quote');
      const [served] = spans.filter((s) => service(s) === 'online' && s.name === 'POST /v1/quote');
      const [score] = spans.filter((s) => service(s) === 'online' && s.name === 'score');
      expect(parentOf(request)).toBeUndefined();
      expect(served.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(parentOf(served)).toBe(request.spanContext().spanId);
      expect(parentOf(score)).toBe(served.spanContext().spanId);
    },
  );
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, createTopicSerde, parseHistograms, type IncomingRecord, type Registry } from '@fleet/core';
import { drivenKafka } from '../../core/test/pipeline/fake-kafka.js';
import { createDecisionProcess } from '../src/process.js';
import type { Prediction } from '../src/types.js';
import { pred } from './prediction.js';

const logger = createLogger({ service: 'decision', level: 'silent' });
const JOIN_TIMEOUT_MS = 6000;

/** A registry stand-in that knows every subject's schema already, under an id of its own. */
const registry: Registry = {
  register: () => Promise.reject(new Error('not expected: the schemas are registered')),
  lookup: (subject) => Promise.resolve(subject.startsWith('predictions') ? 7 : 8),
  typeById: () => Promise.reject(new Error('not expected: only own schemas are read')),
};

async function decisionOn(driven: ReturnType<typeof drivenKafka>) {
  const proc = await createDecisionProcess({
    env: { DECISION_JOIN_TIMEOUT_MS: String(JOIN_TIMEOUT_MS), OTEL_TRACES_EXPORTER: 'none' },
    logger,
    kafka: driven.kafka,
    registry,
  });
  const serde = await createTopicSerde<Prediction>(registry, proc.config.topicPredictions, 'prediction', logger);
  let offset = 0;
  /** Hands the service one batch of partition 0 with a prediction of `rideId` by each of `models`. */
  const offer = (rideId: string, models: string[]) => {
    const records = models.map((model): IncomingRecord => ({
      topic: proc.config.topicPredictions,
      partition: 0,
      offset: String(offset++),
      key: Buffer.from(rideId),
      value: serde.encode(pred(rideId, model, 10, { event_time: Date.now(), predicted_at: Date.now() })),
      headers: {},
      timestamp: Date.now(),
    }));
    const consumer = driven.consumers[driven.consumers.length - 1];
    return consumer.deliver({ topic: proc.config.topicPredictions, partition: 0, records, highWatermark: '100' });
  };
  const decisions = () => driven.sent.filter((s) => s.topic === proc.config.topicDecisions).flatMap((s) => s.records);
  return { proc, offer, decisions };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

// Regression: after a consumer crash (kafkajs leaves the group and rejoins up to 30 s later),
// the join-timeout timer kept publishing degraded decisions of rides whose partition another
// member was deciding meanwhile: two different decisions for one ride.
describe('the decision service after a consumer crash', () => {
  /** A started instance holding two of r1's predictions, its consumer crashed past r1's join timeout: nothing decided. */
  async function crashedHoldingRide() {
    const driven = drivenKafka({ joinOnRun: { predictions: [0] } });
    const running = await decisionOn(driven);
    await running.proc.service.start();
    await running.offer('r1', ['duration', 'cost']);
    driven.consumers[0].crash(true);
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS + 1000);
    expect(running.decisions()).toEqual([]);
    return { driven, ...running };
  }

  it('publishes no degraded decision until it joins again', async () => {
    const { driven, proc, decisions } = await crashedHoldingRide();

    // Back under the same member id, with the partition: the ride was its own all along.
    driven.consumers[0].join({ predictions: [0] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(decisions().map((r) => r.key)).toEqual(['r1']);
    await proc.stop();
  });

  it('decides on timeout again once the client shows it kept the member (a batch handled without a rejoin)', async () => {
    const { proc, offer, decisions } = await crashedHoldingRide();

    await offer('r2', ['tip']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(decisions().map((r) => r.key)).toEqual(['r1']);
    await proc.stop();
  });
});

// Regression: degraded decisions (published by the join-timeout timer) were missing from
// fleet_records_produced_total, and their join time landed past the top bucket (5 s).
describe('the metrics of degraded decisions', () => {
  it('counts them as produced and places their join time in a bucket past the join timeout', async () => {
    const driven = drivenKafka({ joinOnRun: { predictions: [0] } });
    const { proc, offer, decisions } = await decisionOn(driven);
    await proc.service.start();
    await offer('r1', ['duration', 'cost']);
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS + 500);
    expect(decisions()).toHaveLength(1);

    const text = await proc.metrics.registry.metrics();
    expect(text).toContain('fleet_records_produced_total{service="decision"} 1\n');
    for (const name of ['fleet_decision_join_seconds', 'fleet_event_to_output_seconds']) {
      const [series] = parseHistograms(text, name);
      expect(series.count, name).toBe(1);
      // Counted at 7.5 s, not only at +Inf.
      expect(series.buckets.find(([le]) => le === 7.5)?.[1], name).toBe(1);
    }
    await proc.stop();
  });
});

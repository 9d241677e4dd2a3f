import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecordBatch } from '../../src/kafka/types.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics, type FleetMetrics } from '../../src/ops/metrics.js';
import { RECOVERY_STABLE_MS } from '../../src/pipeline/recovery-backoff.js';
import { createStreamService } from '../../src/pipeline/stream-service.js';
import { batchReport } from '../ops/batch-report.js';
import { drivenKafka, type DrivenKafkaOptions } from './fake-kafka.js';

const logger = createLogger({ service: 'test', level: 'silent' });

const batchOf = (partition: number): RecordBatch => ({
  topic: 'rides',
  partition,
  highWatermark: '10',
  records: [{ topic: 'rides', partition, offset: '4', key: null, value: null, headers: {}, timestamp: 0 }],
});

function serviceOn(
  options: DrivenKafkaOptions,
  extra: {
    metrics?: FleetMetrics;
    handle?: (batch: RecordBatch) => Promise<void>;
    onMembershipLost?: () => void;
    onMembershipKept?: () => void;
  } = {},
) {
  const driven = drivenKafka(options);
  const service = createStreamService({
    kafka: driven.kafka,
    logger,
    inputTopic: 'rides',
    outputTopics: [],
    consumer: { groupId: 'g' },
    handler: () => extra.handle ?? (() => Promise.resolve()),
    metrics: extra.metrics,
    onMembershipLost: extra.onMembershipLost,
    onMembershipKept: extra.onMembershipKept,
  });
  return { driven, service };
}

afterEach(() => {
  vi.useRealTimers();
});

// Regression: after a crash the client restarts (kafkajs leaves the group and rejoins up to
// 30 s later), /readyz answered 200 and the assignment kept partitions another member owned.
describe('a stream service whose consumer crashed', () => {
  it('is not ready and owns no partition until it joins again', async () => {
    const lost = vi.fn();
    const { driven, service } = serviceOn({ joinOnRun: { rides: [0, 1] } }, { onMembershipLost: lost });
    await service.start();
    expect(service.ready).toBe(true);
    expect(service.assignment).toEqual({ rides: [0, 1] });

    driven.consumers[0].crash(true);
    expect(service.ready).toBe(false);
    expect(service.assignment).toEqual({});
    expect(service.live).toBe(true);
    expect(lost).toHaveBeenCalledTimes(1);

    driven.consumers[0].join({ rides: [1] });
    expect(service.ready).toBe(true);
    expect(service.assignment).toEqual({ rides: [1] });
  });

  it('is ready again once a batch fetched after the crash is handled without a rejoin (the client kept it)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const kept = vi.fn();
    const { driven, service } = serviceOn(
      { joinOnRun: { rides: [0, 1] } },
      { handle: (batch) => (batch.partition === 0 ? held : Promise.resolve()), onMembershipKept: kept },
    );
    await service.start();
    const consumer = driven.consumers[0];
    // In hand when the consumer crashed: proves nothing about the membership after it.
    const inFlight = consumer.deliver(batchOf(0));
    consumer.crash(true);
    release();
    await inFlight;
    expect(service.ready).toBe(false);
    expect(kept).not.toHaveBeenCalled();

    await consumer.deliver(batchOf(1));
    expect(service.ready).toBe(true);
    expect(service.assignment).toEqual({ rides: [0, 1] });
    expect(kept).toHaveBeenCalledTimes(1);
  });

  it('says the membership is lost at the crash and again as it re-creates the consumer', async () => {
    vi.useFakeTimers();
    const lost = vi.fn();
    const { driven, service } = serviceOn({ joinOnRun: { rides: [0] } }, { onMembershipLost: lost });
    await service.start();
    driven.consumers[0].crash(false);
    expect(lost).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(driven.consumers).toHaveLength(2);
    expect(service.ready).toBe(true);
    await service.stop();
  });

  it('drops the lag of partitions a join took away, and all of it at a crash', async () => {
    const metrics = createMetrics('test');
    const { driven, service } = serviceOn({ joinOnRun: { rides: [0, 1] } }, { metrics });
    await service.start();
    for (const partition of [0, 1]) {
      metrics.observeBatch(batchReport('rides', partition));
    }
    const lagged = async () => (await metrics.lag.get()).values.map((v) => [v.labels.partition, v.value]);
    expect(await lagged()).toEqual([
      ['0', 5],
      ['1', 5],
    ]);
    driven.consumers[0].join({ rides: [1] });
    expect(await lagged()).toEqual([['1', 5]]);
    driven.consumers[0].crash(true);
    expect(await lagged()).toEqual([]);
  });
});

// Regression: the recovery delay was reset at every join, so a batch that crashed the
// consumer right after each join had the group rebalance about once a second.
describe('a stream service recovering from crashes', () => {
  /** Crashes the newest consumer for good and resolves to the ms until the next is made. */
  async function crashAndWait(driven: ReturnType<typeof drivenKafka>): Promise<number> {
    const before = driven.consumers.length;
    const crashedAt = Date.now();
    driven.consumers[before - 1].crash(false);
    while (driven.consumers.length === before) await vi.advanceTimersByTimeAsync(100);
    return Date.now() - crashedAt;
  }

  it('waits longer after each crash that follows a join, and the first delay again after a quiet minute', async () => {
    vi.useFakeTimers();
    const { driven, service } = serviceOn({ joinOnRun: { rides: [0] } });
    await service.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await crashAndWait(driven));
    expect(delays.map((ms) => Math.floor(ms / 100) * 100)).toEqual([1000, 2000, 5000, 10_000]);

    await vi.advanceTimersByTimeAsync(RECOVERY_STABLE_MS);
    expect(Math.floor((await crashAndWait(driven)) / 100) * 100).toBe(1000);
    await service.stop();
  });
});

// Regression: a stop during the start (or a recovery) resolved while the consumer was still
// being made, which then joined its group and consumed after the stop.
describe('a stream service stopped while connecting', () => {
  it('closes what the start made and never runs the consumer', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { driven, service } = serviceOn({
      joinOnRun: { rides: [0] },
      producer: async (made) => {
        await held;
        return made;
      },
    });
    const starting = service.start();
    const stopping = service.stop();
    release();
    await stopping;
    await starting;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(driven.calls).toContain('disconnect producer');
    expect(driven.calls).not.toContain('run');
    expect(service.ready).toBe(false);
    expect(service.live).toBe(false);
  });

  it('closes what a recovery made and never runs its consumer', async () => {
    vi.useFakeTimers();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { driven, service } = serviceOn({
      joinOnRun: { rides: [0] },
      producer: async (made, n) => {
        if (n > 0) await held;
        return made;
      },
    });
    await service.start();
    driven.consumers[0].crash(false);
    await vi.advanceTimersByTimeAsync(1000);
    const stopping = service.stop();
    release();
    await stopping;
    await vi.advanceTimersByTimeAsync(1000);
    expect(driven.calls.filter((c) => c === 'run')).toHaveLength(1);
    expect(driven.calls.filter((c) => c === 'disconnect producer')).toHaveLength(2);
    expect(service.live).toBe(false);
  });
});

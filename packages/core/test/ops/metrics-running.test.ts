import { describe, expect, it } from 'vitest';
import type { BatchControl, ConsumerOptions, KafkaClient, RecordBatch } from '../../src/kafka/types.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics, type FleetMetrics } from '../../src/ops/metrics.js';
import { createStreamService } from '../../src/pipeline/stream-service.js';

const running = async (metrics: FleetMetrics): Promise<number> => (await metrics.batchRunning.get()).values[0].value;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client stand-in whose consumer hands the service's handler one batch as soon as it runs. */
function clientHandingOneBatch(): KafkaClient {
  const batch: RecordBatch = { topic: 'rides', partition: 0, records: [], highWatermark: '1' };
  const control: BatchControl = {
    heartbeat: async () => undefined,
    isStale: () => false,
    commit: async () => undefined,
  };
  return {
    producer: async () => ({
      send: async () => undefined,
      prepare: async () => undefined,
      disconnect: async () => undefined,
    }),
    consumer: async (options: ConsumerOptions) => ({
      run: async (_topics: string[], handler: (b: RecordBatch, c: BatchControl) => Promise<void>) => {
        options.onGroupJoin?.({ rides: [0] }, 'm1');
        void handler(batch, control);
      },
      stop: async () => undefined,
      disconnect: async () => undefined,
    }),
  } as unknown as KafkaClient;
}

// Regression: a handler that hung (a model call, a send never answered) left every metric
// still: the lag gauge is set by handled batches only.
describe('the running-batch metric', () => {
  it('is how long the oldest batch in hand has been handled, and 0 once none is', async () => {
    const metrics = createMetrics('test');
    expect(await running(metrics)).toBe(0);
    const first = metrics.batchStarted();
    await sleep(30);
    const secondAt = performance.now();
    const second = metrics.batchStarted();
    expect(await running(metrics)).toBeGreaterThanOrEqual(0.025);
    first();
    // Now the second batch's age, at most the time since it was handed over.
    const value = await running(metrics);
    expect(value).toBeLessThanOrEqual((performance.now() - secondAt) / 1000);
    second();
    expect(await running(metrics)).toBe(0);
  });

  it("counts a stream service's batch from its hand-over until its handler is done", async () => {
    const metrics = createMetrics('test');
    let finish!: () => void;
    const service = createStreamService({
      kafka: clientHandingOneBatch(),
      logger: createLogger({ service: 'test', level: 'silent' }),
      inputTopic: 'rides',
      outputTopics: [],
      consumer: { groupId: 'g' },
      handler: () => () => new Promise<void>((resolve) => (finish = resolve)),
      metrics,
    });
    await service.start();
    await sleep(30);
    expect(await running(metrics)).toBeGreaterThanOrEqual(0.025);
    finish();
    await sleep(0);
    expect(await running(metrics)).toBe(0);
    await service.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetrics, type FleetMetrics } from '../../src/ops/metrics.js';
import { createStreamService } from '../../src/pipeline/stream-service.js';
import { drivenKafka } from '../pipeline/fake-kafka.js';

const running = async (metrics: FleetMetrics): Promise<number> => (await metrics.batchRunning.get()).values[0].value;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    const driven = drivenKafka({ joinOnRun: { rides: [0] } });
    let finish!: () => void;
    const service = createStreamService({
      kafka: driven.kafka,
      logger: createLogger({ service: 'test', level: 'silent' }),
      inputTopic: 'rides',
      outputTopics: [],
      consumer: { groupId: 'g' },
      handler: () => () => new Promise<void>((resolve) => (finish = resolve)),
      metrics,
    });
    await service.start();
    void driven.consumers[0].deliver({ topic: 'rides', partition: 0, records: [], highWatermark: '1' });
    await sleep(30);
    expect(await running(metrics)).toBeGreaterThanOrEqual(0.025);
    finish();
    await sleep(0);
    expect(await running(metrics)).toBe(0);
    await service.stop();
  });
});

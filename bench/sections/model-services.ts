/**
 * Each model service alone at saturation: a fresh group on the pre-filled rides topic, run
 * as its own process (as deployed), at the steady rate of its predictions (`watchFill`: past
 * the first quarter, end offsets of its predictions topic polled every 20 ms).
 */
import { MODEL_NAMES, type ModelName } from '@fleet/contract';
import type { BenchContext } from '../lib/context.js';
import { watchFill } from '../lib/kafka-io.js';
import { cpuMeter } from '../lib/procstat.js';
import { peakRssMb, startService, stopAll } from '../lib/services.js';

/** Saturation result of one model service. */
export interface ServiceRate {
  model: ModelName;
  ratePerSec: number;
  seconds: number;
  records: number;
  /** CPU seconds of the service process per 1,000 rides, while saturated. */
  cpuSecPer1000: number;
  /** CPU seconds of the broker per 1,000 rides in the same window (NaN when not found). */
  brokerCpuSecPer1000: number;
  peakRssMb: number;
  /** Extra environment the service ran with (tuning experiments). */
  env: Record<string, string>;
  /**
   * The do-nothing pipe (ceiling (c)) measured just before and just after this service, as
   * the rate of their mean µs per record: the pipe its ratios are taken against, under the
   * same conditions of the machine. Absent when the service was measured alone.
   */
  pipePerSec?: number;
}

/** Runs one model service over `records` rides already in `source`. */
export async function measureModelService(
  ctx: BenchContext,
  model: ModelName,
  source: string,
  records: number,
  brokerPid: number | undefined,
  env: Record<string, string> = {},
  tag = '',
): Promise<ServiceRate> {
  const predictions = ctx.topic(`pred-${model}${tag}`);
  await ctx.createTopics([predictions]);
  const proc = await startService(model, `${model}${tag}`, {
    KAFKA_BROKERS: ctx.brokers,
    SCHEMA_REGISTRY_URL: ctx.registryUrl,
    TOPIC_RIDES: source,
    TOPIC_PREDICTIONS: predictions,
    GROUP_ID: ctx.group(`${model}${tag}`),
    ...env,
  });
  try {
    const pids: Record<string, number> = { service: proc.pid };
    if (brokerPid) pids.broker = brokerPid;
    let meter = cpuMeter(pids);
    const fill = await watchFill(ctx.admin, predictions, records, 600_000, () => (meter = cpuMeter(pids)));
    const cpu = meter.read();
    return {
      model,
      ...fill,
      cpuSecPer1000: (cpu.service / fill.counted) * 1000,
      brokerCpuSecPer1000: cpu.broker === undefined ? Number.NaN : (cpu.broker / fill.counted) * 1000,
      peakRssMb: peakRssMb(proc),
      env,
    };
  } finally {
    await stopAll([proc]);
  }
}

/**
 * The three model services, one after the other, each between two runs of the do-nothing
 * pipe (`pipe` gives its rate, records/s, on a topic tagged as asked): a machine whose
 * speed drifts during the run moves a service and the pipe it is compared with alike.
 */
export async function measureModelServices(
  ctx: BenchContext,
  source: string,
  records: number,
  brokerPid: number | undefined,
  pipe: (tag: string) => Promise<number>,
): Promise<ServiceRate[]> {
  const out: ServiceRate[] = [];
  for (const model of MODEL_NAMES) {
    const before = await pipe(`${model}-before-`);
    ctx.say(`model service ${model} alone on ${records} rides`);
    const rate = await measureModelService(ctx, model, source, records, brokerPid);
    const after = await pipe(`${model}-after-`);
    out.push({ ...rate, pipePerSec: 2 / (1 / before + 1 / after) });
  }
  return out;
}

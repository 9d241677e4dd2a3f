/**
 * `npm run bench`: how fast the fleet is against the ceilings of this machine, measured in
 * one run on the local broker (or KAFKA_BROKERS + SCHEMA_REGISTRY_URL). Prints a table and
 * writes bench/results/latest.json. See bench/README.md for what each figure means.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { dlqTopic } from '@fleet/core';
import { createContext, REPO_ROOT, type BenchContext } from './lib/context.js';
import { fillRides } from './lib/kafka-io.js';
import { machineInfo } from './lib/machine.js';
import { mergeResults, readMergeBase } from './lib/merge.js';
import { makePlan, STAGES, type Plan, type Stage } from './lib/plan.js';
import { findBrokerPid } from './lib/procstat.js';
import { formatTable, shouldWriteResults, writeResults, type BenchResults } from './lib/report.js';
import { compareClients } from './sections/alt-client.js';
import { brokerCeiling, seamConsumer, seamPipe } from './sections/ceilings.js';
import { measureFleet, type FleetResult } from './sections/fleet.js';
import { measureInference, measureModelCost, measureSerde } from './sections/inference.js';
import { measureModelService, measureModelServices } from './sections/model-services.js';
import { measureOnline } from './sections/online.js';
import { measurePeer } from './sections/peer.js';
import { kafkajsPipe } from './sections/tuning.js';

const USAGE = `Usage: npm run bench -- [--quick] [--only STAGES] [--merge] [--out FILE]

Measures, in one run on the local Kafka broker (started if needed; or KAFKA_BROKERS and
SCHEMA_REGISTRY_URL), and prints a table:
  ceilings   Kafka's own producer/consumer perf tools (150-byte records), a do-nothing
             kafkajs consumer and a do-nothing pipe through the fleet's client seam
  alt        the two Kafka clients behind the seam side by side (kafkajs, @platformatic/kafka):
             the same do-nothing consumer and pipe, then the whole fleet at 200 and 1,000
             rides/s on each (KAFKA_CLIENT of every service)
  services   each model service alone, as a process, saturated on a pre-filled topic,
             and its ratio to the pipe ceiling
  inference  onnxruntime-node rows/s and µs per call for batch sizes 1..1000; each served
             model's µs per ride (1 thread, batch 256) beside its card's cost proxy; Avro
             decode/encode µs per record
  fleet      the five services as processes, warmed first: ride→decision latency p50/p95/p99 at offered
             rates, the highest sustained rate, CPU s per 1,000 rides and peak RSS per process
  tuning     the pipe ceiling with kafkajs settings the seam does not expose yet; the fleet on
             1-partition topics; the fleet with a commit every batch, the default commit
             interval and batched fetches (KAFKA_COMMIT_INTERVAL_MS, KAFKA_FETCH_*)
  peer       our fleet against a Python peer (confluent-kafka/librdkafka model services
             beside our decision service), both warm and fed by a librdkafka producer:
             ride→decision p50/p99 and CPU per 1,000 rides at the same rates
             (installs bench/peer/requirements.txt into models/train/.venv when needed)
  online     the online service over HTTP: (a) a do-nothing Fastify route, (b) /v1/quote
             one ride per request, (c) the same, micro-batching off, (d) Flask + gunicorn
             (2 workers) with the same models and the Python features; each saturated
             (autocannon) in interleaved rounds, its CPU per request, and p50/p99 at
             1,000 requests/s (open loop)
             (installs bench/online/requirements.txt into models/train/.venv when needed)

Options:
  --quick        smaller and shorter (under 3 minutes): 50k rides, fleet at 500/1000/2000 rides/s,
                 peer steps of 3 s
  --only LIST    comma-separated stages (default: all) — ${STAGES.join(',')}
  --out FILE     where to write the JSON (default bench/results/latest.json)
  --merge        keep the figures of the stages not run in that file; those run replace theirs,
                 each with its own run's date, commit and load (stageRuns)
  -h, --help     this help

Topics and groups are named bench.<run id>.* and deleted at the end.`;

type Results = BenchResults;

/** Each served model's µs per ride: rides per call and repetitions (the models take turns). */
const MODEL_COST = { batch: 256, reps: 5 };

/** The stages that read the rides topic the run pre-fills ({@link fillSource}). */
const SOURCE_STAGES: readonly Stage[] = ['ceilings', 'alt', 'services', 'tuning'];

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function stage(results: Results, name: string, ctx: BenchContext, fn: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    results.errors[name] = messageOf(err);
    ctx.say(`${name} failed: ${results.errors[name]}`);
  }
  ctx.say(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Creates `source` (and its DLQ) and fills it with the plan's rides for the stages that read
 * it, `readers`; true when it did. Else each reader is recorded as failed, not run (keyed by
 * its stage, as --merge expects), and the run reads as failed.
 */
async function fillSource(
  ctx: BenchContext,
  plan: Plan,
  results: Results,
  source: string,
  readers: readonly Stage[],
): Promise<boolean> {
  try {
    await ctx.createTopics([source]);
    await ctx.createTopics([dlqTopic(source)], 1);
    ctx.say(`filling ${source} with ${plan.rides} real rides`);
    results.rideValueBytes = (await fillRides(ctx, source, plan.rides)).valueBytes;
    return true;
  } catch (err) {
    const message = `not run: filling ${source} failed: ${messageOf(err)}`;
    for (const reader of readers) results.errors[reader] = message;
    ctx.say(`${readers.join(', ')}: ${message}`);
    return false;
  }
}

/**
 * Writes the run to `out` (merged into the file there with --merge) unless it has nothing
 * to keep ({@link shouldWriteResults}); true when it wrote.
 */
async function save(out: string, results: Results, merge: boolean, stages: readonly Stage[]): Promise<boolean> {
  if (!shouldWriteResults(results, merge)) return false;
  await writeResults(out, merge ? await mergeResults(out, results, stages) : results);
  return true;
}

async function ceilings(ctx: BenchContext, plan: Plan, results: Results, source: string): Promise<void> {
  results.ceilings = {};
  await stage(results, 'ceilings.kafkaPerfTools', ctx, async () => {
    const perf = await brokerCeiling(ctx, plan.perfToolRecords, plan.perfToolRecordSize);
    results.ceilings!.kafkaPerfTools = { recordSize: plan.perfToolRecordSize, ...perf };
  });
  ctx.say(`kafkajs do-nothing consumer on ${plan.rides} rides`);
  results.ceilings.kafkajsConsumer = await seamConsumer(ctx, source, plan.rides, ctx.clientOf('kafkajs'));
  ctx.say(`kafkajs do-nothing pipe on ${plan.rides} rides`);
  results.ceilings.kafkajsPipe = await seamPipe(ctx, source, plan.rides, ctx.clientOf('kafkajs'));
}

async function alt(
  ctx: BenchContext,
  plan: Plan,
  results: Results,
  source: string,
  brokerPid: number | undefined,
): Promise<void> {
  results.clients = await compareClients(ctx, source, plan.rides, {
    stepSec: plan.fleetStepSec,
    warmupSec: plan.fleetWarmupSec,
    brokerPid,
  });
}

async function tuning(
  ctx: BenchContext,
  plan: Plan,
  results: Results,
  source: string,
  brokerPid: number | undefined,
): Promise<void> {
  const runs: NonNullable<NonNullable<Results['tuning']>['kafkajsPipe']> = {};
  results.tuning = { ...results.tuning, kafkajsPipe: runs };
  for (const pcc of plan.tunePcc) {
    ctx.say(`kafkajs pipe, partitionsConsumedConcurrently=${pcc}`);
    runs[`pcc${pcc}`] = await kafkajsPipe(
      ctx,
      source,
      plan.rides,
      { partitionsConsumedConcurrently: pcc, idempotent: true, maxWaitTimeMs: 100 },
      `pcc${pcc}`,
    );
  }
  ctx.say('duration service alone with ONNX_INTRA_OP_THREADS=2');
  const t2 = await measureModelService(
    ctx,
    'duration',
    source,
    plan.rides,
    brokerPid,
    { ONNX_INTRA_OP_THREADS: '2' },
    '-t2',
  );
  results.tuning!.serviceOnnxThreads2 = {
    ...t2,
    ratioToPipe: t2.ratePerSec / (results.ceilings?.kafkajsPipe?.ratePerSec ?? Number.NaN),
  };
  if (!plan.quick) {
    ctx.say('kafkajs pipe, non-idempotent producer (5 requests in flight)');
    runs.pcc1NotIdempotent = await kafkajsPipe(
      ctx,
      source,
      plan.rides,
      { partitionsConsumedConcurrently: 1, idempotent: false, maxWaitTimeMs: 100 },
      'nonidem',
    );
  }
}

async function tuneFleet(
  ctx: BenchContext,
  plan: Plan,
  results: Results,
  brokerPid: number | undefined,
): Promise<void> {
  ctx.say('fleet on 1-partition topics');
  const fleet = await measureFleet(ctx, {
    rates: plan.tuneFleetRates,
    stepSec: plan.fleetStepSec,
    // Warmed as the 6-partition fleet of the fleet stage, which it is compared with.
    warmupSec: plan.fleetWarmupSec,
    searchSteps: 0,
    brokerPid,
    partitions: 1,
    tag: '-p1',
  });
  results.tuning = { ...results.tuning, fleetOnePartition: fleet };
  const batching: Record<string, FleetResult> = {};
  results.tuning.fleetBatching = batching;
  for (const [name, env] of Object.entries(BATCHING_SETTINGS)) {
    ctx.say(`fleet with ${name} fetches and commits: ${JSON.stringify(env)}`);
    batching[name] = await measureFleet(ctx, {
      rates: plan.tuneBatching.rates,
      stepSec: plan.fleetStepSec,
      searchSteps: 0,
      brokerPid,
      env,
      warmupSec: plan.tuneBatching.warmupSec,
      tag: `-${name.replaceAll(' ', '-')}`,
    });
  }
}

/**
 * The fleet's consumer settings compared by the tuning stage: a commit after every batch
 * (the setting before KAFKA_COMMIT_INTERVAL_MS), the defaults, and fetches that gather up to
 * 10 ms of records (fewer broker round trips per ride, up to 10 ms more per hop).
 */
const BATCHING_SETTINGS: Record<string, Record<string, string>> = {
  'commit every batch': { KAFKA_COMMIT_INTERVAL_MS: '0' },
  default: {},
  batched: { KAFKA_FETCH_MIN_BYTES: '65536', KAFKA_FETCH_MAX_WAIT_MS: '10' },
};

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      merge: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const stages = (values.only?.split(',').map((s) => s.trim()) ?? [...STAGES]) as Stage[];
  const unknown = stages.filter((s) => !STAGES.includes(s));
  if (unknown.length > 0) {
    console.error(`unknown stage(s): ${unknown.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const plan = makePlan(values.quick, stages);
  const out = values.out ?? join(REPO_ROOT, 'bench', 'results', 'latest.json');
  // A file --merge cannot read stops the run before it measures, not after.
  if (values.merge) await readMergeBase(out);
  const started = Date.now();
  const ctx = await createContext(plan.quick);
  const results: Results = {
    timestamp: new Date().toISOString(),
    quick: plan.quick,
    durationSec: 0,
    runId: ctx.runId,
    info: machineInfo(),
    rides: plan.rides,
    errors: {},
  };
  const brokerPid = findBrokerPid(Number(ctx.brokers.split(',')[0].split(':').pop()));
  if (brokerPid === undefined) ctx.say('broker process not found on this machine: its CPU is not metered');
  const on = (s: Stage): boolean => stages.includes(s);
  let written = false;
  try {
    const source = ctx.topic('rides');
    const readers = SOURCE_STAGES.filter(on);
    // When false, the stages that read the source were recorded as not run.
    const filled = readers.length > 0 && (await fillSource(ctx, plan, results, source, readers));
    if (on('ceilings') && filled) await stage(results, 'ceilings', ctx, () => ceilings(ctx, plan, results, source));
    if (on('alt') && filled) await stage(results, 'alt', ctx, () => alt(ctx, plan, results, source, brokerPid));
    if (on('services') && filled) {
      await stage(results, 'services', ctx, async () => {
        const pipe = async (tag: string) =>
          (await seamPipe(ctx, source, plan.rides, ctx.clientOf('kafkajs'), tag)).ratePerSec;
        const rates = await measureModelServices(ctx, source, plan.rides, brokerPid, pipe);
        results.modelServices = rates.map((r) => ({ ...r, ratioToPipe: r.ratePerSec / r.pipePerSec! }));
      });
    }
    if (on('inference')) {
      await stage(results, 'inference', ctx, async () => {
        ctx.say('inference and serde in this process');
        const points = await measureInference(ctx, plan.inferenceBatches, plan.onnxThreads, plan.msPerPoint);
        const models = await measureModelCost(ctx, MODEL_COST.batch, MODEL_COST.reps, plan.msPerPoint / 2);
        results.inference = { points, serde: await measureSerde(ctx, plan.msPerPoint), models };
      });
    }
    if (on('fleet')) {
      await stage(results, 'fleet', ctx, async () => {
        results.fleet = await measureFleet(ctx, {
          rates: plan.fleetRates,
          stepSec: plan.fleetStepSec,
          searchSteps: plan.fleetSearchSteps,
          brokerPid,
          warmupSec: plan.fleetWarmupSec,
        });
      });
    }
    if (on('tuning')) {
      if (filled) await stage(results, 'tuning', ctx, () => tuning(ctx, plan, results, source, brokerPid));
      await stage(results, 'tuning.fleet', ctx, () => tuneFleet(ctx, plan, results, brokerPid));
    }
    if (on('peer')) {
      await stage(results, 'peer', ctx, async () => {
        results.peer = await measurePeer(ctx, { ...plan.peer, brokerPid });
      });
    }
    if (on('online')) {
      await stage(results, 'online', ctx, async () => {
        results.online = await measureOnline(ctx, plan.online);
      });
    }
  } finally {
    results.durationSec = Math.round((Date.now() - started) / 1000);
    results.loadavgAtEnd = await readFile('/proc/loadavg', 'utf8').then(
      (t) => t.trim(),
      () => undefined,
    );
    try {
      written = await save(out, results, values.merge, stages);
    } finally {
      await ctx.close();
    }
  }
  console.log(formatTable(results));
  console.log(
    written
      ? `\nwritten ${out} (${results.durationSec} s)`
      : `\nnot written: no stage produced a figure, ${out} left as it was (${results.durationSec} s)`,
  );
  return written && Object.keys(results.errors).length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);

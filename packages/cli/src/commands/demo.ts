import { formatSummary, replayRides, summarize, type ReceivedDecision } from '@fleet/backend';
import { createFleetClient, type FleetClient } from '@fleet/client';
import {
  createKafkaClient,
  createLogger,
  createRegistry,
  dlqTopic,
  ensureFleetTopics,
  fleetTopics,
  kafkaConnection,
  registryConnection,
  type AdminClient,
  type FleetTopics,
  type KafkaClient,
  type Logger,
  type Registry,
} from '@fleet/core';
import { MAX_PARTITIONS, positiveInteger } from '../args.js';
import type { Command } from '../command.js';
import { cliConfig, type CliConfig } from '../config.js';
import { comparisonsOf, formatComparisons } from '../lifecycle/comparisons.js';
import { formatBreakdown, readBreakdown, type LaunchedService } from '../launcher/index.js';
import { monitorOfRun, startOutcomes, type DemoOutcomes } from '../demo-monitor.js';
import { clearDemoServices } from '../procs/demo-services.js';
import { listInstances } from '../procs/instances.js';
import { createProgress, type Progress } from '../progress.js';
import { driftedRides, loadDemoRides } from '../rides.js';
import { acquireStack } from '../stack.js';
import { parseDemoArgs, usage, type DemoOptions } from './demo/options.js';
import { startServices, startShadow } from './demo/services.js';

async function dlqCount(admin: AdminClient, topics: string[]): Promise<number> {
  let total = 0;
  for (const topic of topics) {
    for (const p of await admin.fetchEndOffsets(topic)) total += Number(p.offset);
  }
  return total;
}

/** What a demo run holds: its options, its clients, and what it started (stopped by {@link stopDemo}). */
interface DemoRun {
  readonly opts: DemoOptions;
  readonly config: CliConfig;
  readonly progress: Progress;
  readonly logger: Logger;
  readonly kafka: KafkaClient;
  readonly registry: Registry;
  readonly topics: Required<FleetTopics>;
  readonly admin: AdminClient;
  readonly services: LaunchedService[];
  /** Set while open: a run that fails or is interrupted closes it on the way out. */
  fleet?: FleetClient;
  /** Set while outcomes are still to publish: a run cut short abandons them. */
  outcomes?: DemoOutcomes;
  /** Whether Ctrl-C or SIGTERM asked the run to stop. */
  interrupted(): boolean;
  /** Removes the signal handlers the run installed. */
  removeInterrupt(): void;
}

/** Connects the demo's clients to the broker and registry of `config`. */
async function connectDemo(
  config: CliConfig,
): Promise<Pick<DemoRun, 'logger' | 'kafka' | 'registry' | 'topics' | 'admin'>> {
  // The demo prints its own progress; the client logs only what goes wrong.
  const logger = createLogger({ service: 'demo', level: 'warn' });
  const kafka = createKafkaClient(kafkaConnection(config, 'demo'), logger);
  const registry = createRegistry(registryConnection(config));
  const topics = fleetTopics(config);
  const admin = await kafka.admin();
  return { logger, kafka, registry, topics, admin };
}

/** Ctrl-C (or SIGTERM) stops the replay, then what the demo started; a second one exits. */
function catchInterrupts(progress: Progress): Pick<DemoRun, 'interrupted' | 'removeInterrupt'> {
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress.done(`${signal}: stopping the replay, then what the demo started (again to exit at once)`);
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  return {
    interrupted: () => interrupted,
    removeInterrupt: () => {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    },
  };
}

/** Starts the services (unless --external) and the shadow (with --shadow). */
async function startFleet(run: DemoRun): Promise<void> {
  const { opts, config, progress, services } = run;
  if (!opts.external) {
    const env = {
      KAFKA_BROKERS: config.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
      DECISION_JOIN_TIMEOUT_MS: String(opts.joinTimeoutMs),
    };
    await startServices(env, progress, services);
  }
  if (opts.shadow) await startShadow(run.admin, opts.shadow, config, progress, services);
}

/** The rides a replay sent, the decisions it received, and how long it took (s). */
interface Replayed {
  sent: Set<string>;
  decisions: ReceivedDecision[];
  elapsed: number;
}

/** Replays the rides and their outcomes, then waits for their decisions (or an interrupt). */
async function replay(run: DemoRun): Promise<Replayed> {
  const { opts, progress } = run;
  const { templates, actuals } = await loadDemoRides();
  const decisions: ReceivedDecision[] = [];
  const sent = new Set<string>();
  // The backend's side goes through the client library a real backend would import.
  const fleet = createFleetClient({ kafka: run.kafka, registry: run.registry, logger: run.logger });
  run.fleet = fleet;
  await fleet.subscribe((d) => decisions.push(d));
  // Connected before the first ride is stamped: its latency is the fleet's, not the set-up's.
  await fleet.connect();
  const started = performance.now();
  // Rides of this run with a decision, each once (a duplicate stands in for no other ride).
  const mine = (): number => new Set(decisions.filter((d) => sent.has(d.ride_id)).map((d) => d.ride_id)).size;
  const line = (n: number): string =>
    `sent ${n}/${opts.count} · decided ${mine()} · ${((performance.now() - started) / 1000).toFixed(1)} s`;
  const outcomes = await startOutcomes(run.kafka, run.registry, run.topics.completed, run.logger, opts.timeFactor);
  run.outcomes = outcomes;
  await replayRides(fleet, {
    templates: opts.drift ? driftedRides(templates) : templates,
    count: opts.count,
    ratePerSec: opts.rate,
    onProgress: (n) => progress.update(line(n)),
    shouldStop: () => run.interrupted(),
    onSent: (group) => {
      for (const r of group) sent.add(r.ride.ride_id);
    },
    completions: { schedule: outcomes.schedule, outcomes: actuals },
  });
  const deadline = Date.now() + opts.joinTimeoutMs + 60_000;
  while (mine() < sent.size && Date.now() < deadline && !run.interrupted()) {
    progress.update(line(sent.size));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  progress.done(line(sent.size));
  return { sent, decisions, elapsed: (performance.now() - started) / 1000 };
}

/** What judging a run needs of its summary. */
interface Printed {
  undecided: number;
  monitorComplete: boolean;
  monitorPort: number | undefined;
}

/**
 * Prints the run's summary (with the monitor's figures, the services' breakdown and, with
 * --shadow, how the shadow compares); resolves to what judging the run needs.
 */
async function printSummary(
  run: DemoRun,
  replayed: Replayed,
  published: number,
  dlqRecords: () => Promise<number>,
): Promise<Printed> {
  const { opts, services } = run;
  const monitorPort = (services.find((s) => s.service === 'monitor') ?? listInstances('monitor')[0])?.port;
  const monitor = await monitorOfRun(monitorPort, published, 60_000, run.progress);
  const summary = summarize(replayed.sent, replayed.decisions, await dlqRecords(), replayed.elapsed);
  summary.monitor = monitor.summary;
  const breakdown = await readBreakdown(services.filter((s) => !s.name.includes('shadow')));
  const comparisons =
    opts.shadow && monitorPort !== undefined
      ? comparisonsOf(await (await fetch(`http://127.0.0.1:${monitorPort}/metrics`)).text(), opts.shadow.model)
      : undefined;
  console.log(
    opts.json
      ? JSON.stringify({ ...summary, breakdown, ...(comparisons && { comparisons }) }, null, 2)
      : [
          formatSummary(summary),
          ...(breakdown.length > 0 ? [formatBreakdown(breakdown)] : []),
          ...(comparisons
            ? [`\n${opts.shadow!.model}: live vs shadow on the same rides\n${formatComparisons(comparisons)}`]
            : []),
        ].join('\n'),
  );
  return { undecided: summary.undecided, monitorComplete: monitor.complete, monitorPort };
}

/** The exit code of a run that ran to its end, with why it failed on stderr. */
function verdict(run: DemoRun, sent: number, published: number, printed: Printed): number {
  // A service that stopped during the run fails it, even where the others made up for it.
  const exited = run.services.filter((s) => s.exit() !== undefined);
  for (const s of exited)
    console.error(`${s.name} exited during the run; the end of its log (${s.logFile}):\n${s.logTail()}`);
  // Without a monitor of its own (--external with none running), the run is judged on decisions.
  const monitored = printed.monitorComplete || (run.opts.external && printed.monitorPort === undefined);
  // Outcomes that could not be published (logged) leave the monitor's judgement short.
  if (published < sent) console.error(`${sent - published} ride outcome(s) could not be published`);
  const ok = printed.undecided === 0 && monitored && exited.length === 0 && published >= sent;
  return ok ? 0 : 1;
}

/** Stops what the run started, also when it failed or was interrupted. */
async function stopDemo(run: DemoRun, stack: { release(): Promise<void> }): Promise<void> {
  run.progress.done('stopping the services ...');
  await run.fleet?.close().catch(() => undefined);
  await run.outcomes?.abandon();
  if (!run.opts.external) clearDemoServices(); // --external registered none: another demo's stays
  await Promise.all(run.services.map((s) => s.stop(25_000)));
  await run.admin.disconnect();
  await stack.release();
  run.removeInterrupt();
}

async function run(argv: readonly string[]): Promise<number> {
  const opts = parseDemoArgs(argv);
  const progress = createProgress(opts.json);
  const stack = opts.external
    ? { release: async () => undefined }
    : await acquireStack((line) => progress.update(line));
  const config = cliConfig();
  const partitions = positiveInteger(opts.partitions, 'partitions', MAX_PARTITIONS) ?? config.topicPartitions;
  progress.done(`broker ${config.kafkaBrokers.join(',')} · registry ${config.schemaRegistryUrl}`);
  const clients = await connectDemo(config);
  const demo: DemoRun = { opts, config, progress, ...clients, services: [], ...catchInterrupts(progress) };
  try {
    const { topics, admin } = demo;
    await ensureFleetTopics(admin, topics, partitions, config.topicReplicationFactor);
    const dlqTopics = [topics.rides, topics.predictions, topics.completed].map(dlqTopic);
    const dlqBefore = await dlqCount(admin, dlqTopics);
    await startFleet(demo);
    const replayed = await replay(demo);
    if (demo.interrupted()) return 130;
    // Both set by the replay; unset once closed, so that stopDemo does not close them again.
    await demo.fleet!.close();
    demo.fleet = undefined;
    const published = await demo.outcomes!.finish(progress);
    demo.outcomes = undefined;
    const dlqRecords = async () => (await dlqCount(admin, dlqTopics)) - dlqBefore;
    const printed = await printSummary(demo, replayed, published, dlqRecords);
    return verdict(demo, replayed.sent.size, published, printed);
  } finally {
    await stopDemo(demo, stack);
  }
}

/** `fleet demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole fleet locally on real rides and summarize',
  usage,
  run,
};

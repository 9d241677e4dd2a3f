import { join } from 'node:path';
import { formatSummary, replayRides, summarize, type ReceivedDecision } from '@fleet/backend';
import { createFleetClient } from '@fleet/client';
import { FleetError, type ModelName } from '@fleet/contract';
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
} from '@fleet/core';
import { MAX_PARTITIONS, parseCommandArgs, positiveInteger, positiveNumber } from '../args.js';
import type { Command } from '../command.js';
import { cliConfig, type CliConfig } from '../config.js';
import { comparisonsOf, formatComparisons } from '../lifecycle/comparisons.js';
import { modelArgs } from '../lifecycle/model-args.js';
import { positionShadowGroup, shadowEnv } from '../lifecycle/shadow-group.js';
import {
  formatBreakdown,
  groupOf,
  launchService,
  readBreakdown,
  SERVICE_NAMES,
  type LaunchedService,
  type StreamServiceName,
} from '../launcher/index.js';
import { monitorOfRun, startOutcomes, type DemoOutcomes } from '../demo-monitor.js';
import { clearDemoServices, registerDemoServices } from '../procs/demo-services.js';
import { listInstances } from '../procs/instances.js';
import { createProgress, type Progress } from '../progress.js';
import { DRIFT_DISTANCE_FACTOR, driftedRides, loadDemoRides } from '../rides.js';
import { acquireStack } from '../stack.js';

const usage = `Usage: npx fleet demo [--rides N] [--rate R] [--time-factor F] [--drift] [--partitions P] [--join-timeout-ms MS] [--shadow M@V] [--external] [--json]

Runs the whole fleet locally: starts the broker and registry (unless KAFKA_BROKERS and
SCHEMA_REGISTRY_URL are set), creates the topics, registers the schemas, starts one instance
of the duration, cost, tip, decision and monitor services, replays real NYC rides as
ride_started events and publishes each ride's ride_completed when it ends (on a clock F times
faster than real time), and prints a summary: rides sent, decisions, complete vs degraded,
DLQ records, ride→decision latency percentiles (the run's and by fifths of it, where a cold
start shows), and the live MAE, bias and drift the monitor computed from the outcomes. It
stops what it started. \`npx fleet dashboard\` shows it live.

Options:
  --rides N             rides to replay (default 2000)
  --rate R              rides per second (default 200)
  --partitions P        partitions of new topics (default 6)
  --join-timeout-ms MS  decision join timeout (default 5000)
  --time-factor F       rides end F times faster than they really did (default 600: a
                        12-minute ride ends 1.2 s after it started)
  --drift               replay the rides with every distance × ${DRIFT_DISTANCE_FACTOR}: the monitor flags the drift
  --shadow M@V          also run version V of model M as a shadow (e.g. duration@2.0.0) and
                        print how it compares with the live version on the same rides
  --external            use a fleet that already runs (docker compose, fleet up, a cluster):
                        start nothing, only replay rides and summarize
  --json                print the summary as JSON on stdout (progress is silenced)
  -h, --help            this help

Service logs go to .fleet/logs/demo-<service>.log.`;

async function dlqCount(admin: AdminClient, topics: string[]): Promise<number> {
  let total = 0;
  for (const topic of topics) {
    for (const p of await admin.fetchEndOffsets(topic)) total += Number(p.offset);
  }
  return total;
}

/** Starts the five services into `launched` as each starts (so that a failure stops those started). */
async function startServices(
  env: Record<string, string>,
  progress: Progress,
  launched: LaunchedService[],
): Promise<void> {
  const logs = join(cliConfig().stateDir, 'logs');
  // Groups named like `fleet up`'s (FLEET_GROUP_PREFIX), so a demo beside other fleets keeps to its own.
  const group = (service: StreamServiceName) => ({ GROUP_ID: groupOf(service, cliConfig().groupPrefix) });
  for (const service of SERVICE_NAMES) {
    const options = { env: { ...env, ...group(service) }, logFile: join(logs, `demo-${service}.log`) };
    launched.push(await launchService(service, options));
  }
  registerDemoServices(launched);
  progress.update(`waiting for services to join their groups: ${SERVICE_NAMES.join(', ')}`);
  await Promise.all(launched.map((l) => l.waitReady(120_000)));
  progress.done(`services ready: ${SERVICE_NAMES.join(', ')}`);
}

/** Starts `model@version` as a shadow beside the demo's live services (fleet shadow's group and settings). */
async function startShadow(
  admin: AdminClient,
  shadow: { model: ModelName; version: string },
  config: CliConfig,
  progress: Progress,
  launched: LaunchedService[],
): Promise<void> {
  const group = await positionShadowGroup(admin, shadow.model, shadow.version);
  const service = await launchService(shadow.model, {
    name: `${shadow.model}-shadow`,
    env: {
      KAFKA_BROKERS: config.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
      ...shadowEnv(group, shadow.version),
    },
    logFile: join(config.stateDir, 'logs', `demo-${shadow.model}-shadow.log`),
  });
  launched.push(service);
  await service.waitReady(120_000);
  progress.done(`shadow ready: ${shadow.model} ${shadow.version} in group ${group}`);
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    rides: { type: 'string' },
    rate: { type: 'string' },
    partitions: { type: 'string' },
    'join-timeout-ms': { type: 'string' },
    json: { type: 'boolean', default: false },
    external: { type: 'boolean', default: false },
    'time-factor': { type: 'string' },
    drift: { type: 'boolean', default: false },
    shadow: { type: 'string' },
  });
  if (values.shadow !== undefined && !/^[a-z]+@[^@]+$/.test(values.shadow)) {
    throw new FleetError('FLEET_INPUT_INVALID', `--shadow expects <model>@<version>, got "${values.shadow}"`);
  }
  const shadow = values.shadow === undefined ? undefined : modelArgs(values.shadow.split('@'), true);
  if (shadow && values.external) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      '--shadow starts a service: not with --external (use npx fleet shadow)',
    );
  }
  const timeFactor = positiveNumber(values['time-factor'], 'time-factor', 600);
  const count = positiveInteger(values.rides, 'rides', MAX_DEMO_RIDES) ?? 2000;
  const rate = positiveNumber(values.rate, 'rate', 200);
  // The decision service's own bounds (DECISION_JOIN_TIMEOUT_MS), checked before it starts.
  const joinTimeoutMs = positiveInteger(values['join-timeout-ms'], 'join-timeout-ms', 3_600_000) ?? 5000;
  if (joinTimeoutMs < 10) throw new FleetError('FLEET_INPUT_INVALID', '--join-timeout-ms must be 10 or more');
  const progress = createProgress(values.json);

  const stack = values.external
    ? { release: async () => undefined }
    : await acquireStack((line) => progress.update(line));
  const config = cliConfig();
  const partitions = positiveInteger(values.partitions, 'partitions', MAX_PARTITIONS) ?? config.topicPartitions;
  progress.done(`broker ${config.kafkaBrokers.join(',')} · registry ${config.schemaRegistryUrl}`);
  // The demo prints its own progress; the client logs only what goes wrong.
  const logger = createLogger({ service: 'demo', level: 'warn' });
  const kafka = createKafkaClient(kafkaConnection(config, 'demo'), logger);
  const registry = createRegistry(registryConnection(config));
  const topics = fleetTopics(config);
  const admin = await kafka.admin();
  const services: LaunchedService[] = [];
  let fleet: ReturnType<typeof createFleetClient> | undefined;
  let outcomes: DemoOutcomes | undefined;
  // Ctrl-C (or SIGTERM) stops the replay, then what the demo started; a second one exits.
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress.done(`${signal}: stopping the replay, then what the demo started (again to exit at once)`);
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    await ensureFleetTopics(admin, topics, partitions, config.topicReplicationFactor);
    const dlqTopics = [topics.rides, topics.predictions, topics.completed].map(dlqTopic);
    const dlqBefore = await dlqCount(admin, dlqTopics);
    if (!values.external) {
      const env = {
        KAFKA_BROKERS: config.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
        DECISION_JOIN_TIMEOUT_MS: String(joinTimeoutMs),
      };
      await startServices(env, progress, services);
    }
    if (shadow) await startShadow(admin, shadow, config, progress, services);
    const { templates, actuals } = await loadDemoRides();
    const decisions: ReceivedDecision[] = [];
    const sent = new Set<string>();
    // The backend's side goes through the client library a real backend would import.
    fleet = createFleetClient({ kafka, registry, logger });
    await fleet.subscribe((d) => decisions.push(d));
    // Connected before the first ride is stamped: its latency is the fleet's, not the set-up's.
    await fleet.connect();
    const started = performance.now();
    // Rides of this run with a decision, each once (a duplicate stands in for no other ride).
    const mine = (): number => new Set(decisions.filter((d) => sent.has(d.ride_id)).map((d) => d.ride_id)).size;
    const line = (n: number): string =>
      `sent ${n}/${count} · decided ${mine()} · ${((performance.now() - started) / 1000).toFixed(1)} s`;
    outcomes = await startOutcomes(kafka, registry, topics.completed, logger, timeFactor);
    await replayRides(fleet, {
      templates: values.drift ? driftedRides(templates) : templates,
      count,
      ratePerSec: rate,
      onProgress: (n) => progress.update(line(n)),
      shouldStop: () => interrupted,
      onSent: (group) => {
        for (const r of group) sent.add(r.ride.ride_id);
      },
      completions: { schedule: outcomes.schedule, outcomes: actuals },
    });
    const deadline = Date.now() + joinTimeoutMs + 60_000;
    while (mine() < sent.size && Date.now() < deadline && !interrupted) {
      progress.update(line(sent.size));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    progress.done(line(sent.size));
    const elapsed = (performance.now() - started) / 1000;
    if (interrupted) return 130;
    await fleet.close();
    fleet = undefined;
    const published = await outcomes.finish(progress);
    outcomes = undefined;
    const monitorPort = (services.find((s) => s.service === 'monitor') ?? listInstances('monitor')[0])?.port;
    const monitor = await monitorOfRun(monitorPort, published, 60_000, progress);
    const summary = summarize(sent, decisions, (await dlqCount(admin, dlqTopics)) - dlqBefore, elapsed);
    summary.monitor = monitor.summary;
    const breakdown = await readBreakdown(services.filter((s) => !s.name.includes('shadow')));
    const comparisons =
      shadow && monitorPort !== undefined
        ? comparisonsOf(await (await fetch(`http://127.0.0.1:${monitorPort}/metrics`)).text(), shadow.model)
        : undefined;
    console.log(
      values.json
        ? JSON.stringify({ ...summary, breakdown, ...(comparisons && { comparisons }) }, null, 2)
        : [
            formatSummary(summary),
            ...(breakdown.length > 0 ? [formatBreakdown(breakdown)] : []),
            ...(comparisons
              ? [`\n${shadow!.model}: live vs shadow on the same rides\n${formatComparisons(comparisons)}`]
              : []),
          ].join('\n'),
    );
    // A service that stopped during the run fails it, even where the others made up for it.
    const exited = services.filter((s) => s.exit() !== undefined);
    for (const s of exited)
      console.error(`${s.name} exited during the run; the end of its log (${s.logFile}):\n${s.logTail()}`);
    // Without a monitor of its own (--external with none running), the run is judged on decisions.
    const monitored = monitor.complete || (values.external && monitorPort === undefined);
    // Outcomes that could not be published (logged) leave the monitor's judgement short.
    if (published < sent.size) console.error(`${sent.size - published} ride outcome(s) could not be published`);
    const ok = summary.undecided === 0 && monitored && exited.length === 0 && published >= sent.size;
    return ok ? 0 : 1;
  } finally {
    progress.done('stopping the services ...');
    await fleet?.close().catch(() => undefined);
    await outcomes?.abandon();
    if (!values.external) clearDemoServices(); // --external registered none: another demo's stays
    await Promise.all(services.map((s) => s.stop(25_000)));
    await admin.disconnect();
    await stack.release();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/** More rides than a demo on one machine is for (its summary keeps every decision in memory). */
const MAX_DEMO_RIDES = 1_000_000;

/** `fleet demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole fleet locally on real rides and summarize',
  usage,
  run,
};

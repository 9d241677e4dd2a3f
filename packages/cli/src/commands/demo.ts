import { join } from 'node:path';
import { formatSummary, replayRides, summarize, type ReceivedDecision, type SentOutcome } from '@fleet/backend';
import { createFleetClient } from '@fleet/client';
import {
  createKafkaClient,
  createLogger,
  createRegistry,
  dlqTopic,
  ensureFleetTopics,
  kafkaConnection,
  registryConnection,
  type AdminClient,
} from '@fleet/core';
import { parseCommandArgs, positiveNumber } from '../args.js';
import type { Command } from '../command.js';
import { cliConfig } from '../config.js';
import {
  formatBreakdown,
  launchService,
  readBreakdown,
  SERVICE_NAMES,
  type LaunchedService,
} from '../launcher/index.js';
import { createProgress, type Progress } from '../progress.js';
import { loadDemoRides } from '../rides.js';
import { acquireStack } from '../stack.js';

const usage = `Usage: npx fleet demo [--rides N] [--rate R] [--partitions P] [--join-timeout-ms MS] [--json]

Runs the whole fleet locally: starts the broker and registry (unless KAFKA_BROKERS and
SCHEMA_REGISTRY_URL are set), creates the topics, registers the schemas, starts one instance
of the duration, cost, tip and decision services, replays real NYC rides as ride_started
events, and prints a summary: rides sent, decisions, complete vs degraded, DLQ records,
ride→decision latency percentiles and the MAE of the estimates against the real rides.
It stops what it started.

Options:
  --rides N             rides to replay (default 2000)
  --rate R              rides per second (default 200)
  --partitions P        partitions of new topics (default 6)
  --join-timeout-ms MS  decision join timeout (default 5000)
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

async function startServices(env: Record<string, string>, progress: Progress): Promise<LaunchedService[]> {
  const logs = join(cliConfig().stateDir, 'logs');
  const launched: LaunchedService[] = [];
  for (const service of SERVICE_NAMES)
    launched.push(await launchService(service, { env, logFile: join(logs, `demo-${service}.log`) }));
  progress.update(`waiting for services to join their groups: ${SERVICE_NAMES.join(', ')}`);
  await Promise.all(launched.map((l) => l.waitReady(120_000)));
  progress.done(`services ready: ${SERVICE_NAMES.join(', ')}`);
  return launched;
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    rides: { type: 'string' },
    rate: { type: 'string' },
    partitions: { type: 'string' },
    'join-timeout-ms': { type: 'string' },
    json: { type: 'boolean', default: false },
    external: { type: 'boolean', default: false },
  });
  const count = positiveNumber(values.rides, 'rides', 2000);
  const rate = positiveNumber(values.rate, 'rate', 200);
  const joinTimeoutMs = positiveNumber(values['join-timeout-ms'], 'join-timeout-ms', 5000);
  const progress = createProgress(values.json);

  const stack = values.external
    ? { release: async () => undefined }
    : await acquireStack((line) => progress.update(line));
  const config = cliConfig();
  const partitions = positiveNumber(values.partitions, 'partitions', config.topicPartitions);
  progress.done(`broker ${config.kafkaBrokers.join(',')} · registry ${config.schemaRegistryUrl}`);
  // The demo prints its own progress; the client logs only what goes wrong.
  const logger = createLogger({ service: 'demo', level: 'warn' });
  const kafka = createKafkaClient(kafkaConnection(config, 'demo'), logger);
  const registry = createRegistry(registryConnection(config));
  const topics = { rides: config.topicRides, predictions: config.topicPredictions, decisions: config.topicDecisions };
  const admin = await kafka.admin();
  const services: LaunchedService[] = [];
  try {
    await ensureFleetTopics(admin, topics, partitions, config.topicReplicationFactor);
    const dlqTopics = [dlqTopic(topics.rides), dlqTopic(topics.predictions)];
    const dlqBefore = await dlqCount(admin, dlqTopics);
    if (!values.external) {
      services.push(
        ...(await startServices(
          {
            KAFKA_BROKERS: config.kafkaBrokers.join(','),
            SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
            DECISION_JOIN_TIMEOUT_MS: String(joinTimeoutMs),
          },
          progress,
        )),
      );
    }
    const { templates, actuals } = await loadDemoRides();
    const decisions: ReceivedDecision[] = [];
    const sent = new Map<string, SentOutcome>();
    // The backend's side goes through the client library a real backend would import.
    const fleet = createFleetClient({ kafka, registry, logger });
    await fleet.subscribe((d) => decisions.push(d));
    const started = performance.now();
    const mine = (): number => decisions.filter((d) => sent.has(d.ride_id)).length;
    const line = (n: number): string =>
      `sent ${n}/${count} · decided ${mine()} · ${((performance.now() - started) / 1000).toFixed(1)} s`;
    await replayRides(fleet, {
      templates,
      count,
      ratePerSec: rate,
      onProgress: (n) => progress.update(line(n)),
      onSent: (group) => {
        for (const r of group) sent.set(r.ride.ride_id, { outcome: actuals[r.template], source: r.template });
      },
    });
    const deadline = Date.now() + joinTimeoutMs + 60_000;
    while (mine() < sent.size && Date.now() < deadline) {
      progress.update(line(sent.size));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    progress.done(line(sent.size));
    const elapsed = (performance.now() - started) / 1000;
    await fleet.close();
    const summary = summarize(sent, decisions, (await dlqCount(admin, dlqTopics)) - dlqBefore, elapsed);
    const breakdown = await readBreakdown(services);
    console.log(
      values.json
        ? JSON.stringify({ ...summary, breakdown }, null, 2)
        : [formatSummary(summary), ...(breakdown.length > 0 ? [formatBreakdown(breakdown)] : [])].join('\n'),
    );
    return summary.undecided === 0 ? 0 : 1;
  } finally {
    progress.done('stopping the services ...');
    await Promise.all(services.map((s) => s.stop(25_000)));
    await admin.disconnect();
    await stack.release();
  }
}

/** `fleet demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole fleet locally on real rides and summarize',
  usage,
  run,
};

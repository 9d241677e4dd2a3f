import { FleetError, type ModelName } from '@fleet/contract';
import { parseCommandArgs, positiveInteger, positiveNumber } from '../../args.js';
import { modelArgs } from '../../lifecycle/model-args.js';
import { DRIFT_DISTANCE_FACTOR } from '../../rides.js';

/** The `--help` text of `fleet demo`. */
export const usage = `Usage: npx fleet demo [--rides N] [--rate R] [--time-factor F] [--drift] [--partitions P] [--join-timeout-ms MS] [--shadow M@V] [--external] [--json]

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

/** More rides than a demo on one machine is for (its summary keeps every decision in memory). */
const MAX_DEMO_RIDES = 1_000_000;

/** The demo's arguments, checked before it starts anything. */
export interface DemoOptions {
  json: boolean;
  external: boolean;
  drift: boolean;
  /** Checked once the stack is up: its default is the configuration's. */
  partitions: string | undefined;
  shadow: { model: ModelName; version: string } | undefined;
  timeFactor: number;
  count: number;
  rate: number;
  joinTimeoutMs: number;
}

/** Parses and checks `fleet demo`'s arguments (--partitions aside), before it starts anything. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
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
  const { json, external, drift, partitions } = values;
  return { json, external, drift, partitions, shadow, timeFactor, count, rate, joinTimeoutMs };
}

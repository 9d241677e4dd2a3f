/**
 * The two Kafka clients behind the fleet's seam side by side, in one stage on one broker:
 * kafkajs (the default) and @platformatic/kafka (`KAFKA_CLIENT=platformatic`). Each is
 * measured through the seam exactly as the ceilings measure it (the do-nothing consumer and
 * pipe of ceilings.ts, on the same pre-filled topic), then the whole fleet runs as processes
 * on each client at everyday rates (ride→decision latency, CPU per 1,000 rides), a fresh
 * fleet per client and rate, warmed as the fleet stage warms it. The clients take turns
 * (ABBA: the first client goes first at the first rate, the other at the next, …), so a
 * drift of the machine's load does not favour one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KAFKA_CLIENTS, type KafkaClientKind } from '@fleet/core';
import type { BenchContext } from '../lib/context.js';
import { fixed, tableRow } from '../lib/table.js';
import { seamConsumer, seamPipe, type ClientRate } from './ceilings.js';
import { fleetCpu, measureFleet, sustainedRange, type FleetOptions, type FleetResult } from './fleet.js';

/** Offered rates of the fleet on each client: the everyday rates of the latency targets. */
export const CLIENT_FLEET_RATES = [200, 1000];

/** One client's figures. */
export interface ClientFigures {
  /** npm package and version. */
  library: string;
  consumer?: ClientRate;
  pipe?: ClientRate;
  /** The whole fleet on this client (`KAFKA_CLIENT` of every service). */
  fleet?: FleetResult;
}

/** The clients side by side. */
export interface ClientComparison {
  /** Offered rates of the fleet runs. */
  fleetRates: number[];
  clients: Partial<Record<KafkaClientKind, ClientFigures>>;
}

const PACKAGES: Record<KafkaClientKind, string> = { kafkajs: 'kafkajs', platformatic: '@platformatic/kafka' };

/** `name version` of the client library as installed (resolved from @fleet/core, which depends on both). */
export function clientLibrary(kind: KafkaClientKind): string {
  const name = PACKAGES[kind];
  try {
    // The entry point, then its package.json: @platformatic/kafka's `exports` hide the latter.
    let dir = dirname(createRequire(import.meta.resolve('@fleet/core')).resolve(name));
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    return `${name} ${version}`;
  } catch {
    return name;
  }
}

/** How the fleet runs on each client: the fleet stage's seconds per rate and warm-up. */
export interface ClientFleetTiming {
  stepSec: number;
  /** Seconds of warm-up traffic before the measured rate (the plan's `fleetWarmupSec`). */
  warmupSec: number;
  brokerPid: number | undefined;
}

/** One fleet run of the comparison: a client at one rate. */
export interface ClientFleetRun {
  kind: KafkaClientKind;
  options: FleetOptions;
}

/**
 * The comparison's fleet runs in the order they run: at each rate one per client, the
 * clients' order alternating from one rate to the next (ABBA), each a fresh fleet warmed
 * for `timing.warmupSec` on topics of its own.
 */
export function clientFleetRuns(
  rates: readonly number[],
  timing: ClientFleetTiming,
  clients: readonly KafkaClientKind[] = KAFKA_CLIENTS,
): ClientFleetRun[] {
  return rates.flatMap((rate, i) =>
    (i % 2 === 0 ? clients : [...clients].reverse()).map((kind) => ({
      kind,
      options: {
        rates: [rate],
        stepSec: timing.stepSec,
        warmupSec: timing.warmupSec,
        searchSteps: 0,
        brokerPid: timing.brokerPid,
        env: { KAFKA_CLIENT: kind },
        tag: `-${kind}-r${rate}`,
      },
    })),
  );
}

/**
 * One client's fleet runs (one rate each, in the order of the rates) as one result: their
 * steps, the sustained range over them, each process's highest peak RSS.
 */
export function joinFleetRuns(runs: readonly FleetResult[]): FleetResult {
  const steps = runs.flatMap((r) => r.steps);
  const peakRssMb: Record<string, number> = {};
  for (const [name, mb] of runs.flatMap((r) => Object.entries(r.peakRssMb)))
    peakRssMb[name] = Math.max(peakRssMb[name] ?? mb, mb);
  return {
    steps,
    ...sustainedRange(steps),
    peakRssMb,
    env: runs[0]?.env ?? {},
    partitions: runs[0]?.partitions ?? 6,
  };
}

/** The do-nothing consumer and pipe of each client on `source`, then the fleet on each client. */
export async function compareClients(
  ctx: BenchContext,
  source: string,
  records: number,
  fleet: ClientFleetTiming & { rates?: number[] },
): Promise<ClientComparison> {
  const rates = fleet.rates ?? CLIENT_FLEET_RATES;
  const result: ClientComparison = { fleetRates: rates, clients: {} };
  const figures = (kind: KafkaClientKind): ClientFigures => (result.clients[kind] ??= { library: clientLibrary(kind) });
  for (const kind of KAFKA_CLIENTS) {
    ctx.say(`${kind}: do-nothing consumer through the seam on ${records} rides`);
    figures(kind).consumer = await seamConsumer(ctx, source, records, ctx.clientOf(kind), `${kind}-`);
  }
  for (const kind of [...KAFKA_CLIENTS].reverse()) {
    ctx.say(`${kind}: do-nothing pipe through the seam on ${records} rides`);
    figures(kind).pipe = await seamPipe(ctx, source, records, ctx.clientOf(kind), `${kind}-`);
  }
  const runs = new Map<KafkaClientKind, FleetResult[]>();
  for (const { kind, options } of clientFleetRuns(rates, fleet)) {
    ctx.say(`${kind}: the fleet at ${options.rates.join(', ')} rides/s`);
    runs.set(kind, [...(runs.get(kind) ?? []), await measureFleet(ctx, options)]);
  }
  for (const [kind, fleetRuns] of runs) figures(kind).fleet = joinFleetRuns(fleetRuns);
  return result;
}

/** The comparison's flat named figures (for the JSON's `figures`). */
export function clientNamedFigures(c: ClientComparison | undefined): Record<string, number | undefined> {
  const f: Record<string, number | undefined> = {};
  for (const [kind, figures] of Object.entries(c?.clients ?? {})) {
    f[`client_${kind}_consumer_rps`] = figures.consumer?.ratePerSec;
    f[`client_${kind}_pipe_rps`] = figures.pipe?.ratePerSec;
    for (const s of figures.fleet?.steps ?? []) {
      f[`client_${kind}_fleet_p50_ms_at_${s.offeredPerSec}`] = s.latencyMs.p50;
      f[`client_${kind}_fleet_p99_ms_at_${s.offeredPerSec}`] = s.latencyMs.p99;
      f[`client_${kind}_fleet_cpu_sec_per_1000_at_${s.offeredPerSec}`] = fleetCpu(s);
    }
  }
  return f;
}

/** The comparison as the lines of the table the bench prints. */
export function clientTableLines(c: ClientComparison): string[] {
  const lines = [
    '',
    'Kafka clients through the seam       consumer/s      pipe/s     p50 ms      p99 ms  fleet cpu s/1k',
  ];
  for (const [kind, figures] of Object.entries(c.clients)) {
    lines.push(
      tableRow(`${figures.library} (${kind})`, fixed(figures.consumer?.ratePerSec), fixed(figures.pipe?.ratePerSec)),
    );
    for (const s of figures.fleet?.steps ?? []) {
      lines.push(
        tableRow(
          `  fleet at ${s.offeredPerSec} rides/s`,
          '',
          '',
          fixed(s.latencyMs.p50, 1),
          fixed(s.latencyMs.p99, 1),
          fixed(fleetCpu(s), 3),
        ),
      );
    }
  }
  return lines;
}

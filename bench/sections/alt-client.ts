/**
 * The two Kafka clients behind the fleet's seam side by side, in one stage on one broker:
 * kafkajs (the default) and @platformatic/kafka (`KAFKA_CLIENT=platformatic`). Each is
 * measured through the seam exactly as the ceilings measure it (the do-nothing consumer and
 * pipe of ceilings.ts, on the same pre-filled topic), then the whole fleet runs as processes
 * on each client at everyday rates (ride→decision latency, CPU per 1,000 rides). The clients
 * take turns, so a drift of the machine's load does not favour one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KAFKA_CLIENTS, type KafkaClientKind } from '@fleet/core';
import type { BenchContext } from '../lib/context.js';
import { fixed, tableRow } from '../lib/table.js';
import { seamConsumer, seamPipe, type ClientRate } from './ceilings.js';
import { fleetCpu, measureFleet, type FleetResult } from './fleet.js';

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

/** The do-nothing consumer and pipe of each client on `source`, then the fleet on each client. */
export async function compareClients(
  ctx: BenchContext,
  source: string,
  records: number,
  fleet: { stepSec: number; brokerPid: number | undefined; rates?: number[] },
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
  for (const kind of KAFKA_CLIENTS) {
    ctx.say(`${kind}: the fleet at ${rates.join(', ')} rides/s`);
    figures(kind).fleet = await measureFleet(ctx, {
      rates,
      stepSec: fleet.stepSec,
      searchSteps: 0,
      brokerPid: fleet.brokerPid,
      env: { KAFKA_CLIENT: kind },
      tag: `-${kind}`,
    });
  }
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

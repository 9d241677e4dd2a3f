import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetClient, type FleetClient, type ReceivedDecision } from '@fleet/client';
import { runFleet } from '@fleet/cli';
import { loadRideCsv, type RideQuote, type RideStarted } from '@fleet/contract';
import { startFleet, type FleetHarness } from '../fleet-harness.js';
import { randomName, testKafka, testRegistry, testLogger } from '../helpers.js';
import { startOnline, type StartedOnline } from '../online/helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

const RIDES = 120;
const JOIN_TIMEOUT_MS = 20_000;
/** The stream decides a ride within its join timeout, plus the scoring before it. */
const DECIDED_WITHIN_MS = JOIN_TIMEOUT_MS + WORK_ALLOWANCE_MS;
const TEST_RIDES_CSV = new URL('../../models/data/test_rides.csv', import.meta.url).pathname;

/** The first `count` rides of the test split (rides the models never saw), as the file has them. */
async function csvRides(count: number): Promise<{ header: string; lines: string[]; rides: RideStarted[] }> {
  const { header, rows } = await loadRideCsv(TEST_RIDES_CSV);
  const good = rows.flatMap((r) => (r.ok ? [{ raw: r.raw, ride: r.ride }] : [])).slice(0, count);
  return { header: header.join(','), lines: good.map((r) => r.raw), rides: good.map((r) => r.ride) };
}

/** What a quote and a decision share: everything but the decision's join fields and times. */
const comparable = (q: Omit<RideQuote, 'quoted_at'> | ReceivedDecision) => ({
  ride_id: q.ride_id,
  duration_min: q.duration_min,
  cost_usd: q.cost_usd,
  tip_usd: q.tip_usd,
  fare_quote_usd: q.fare_quote_usd,
  eta_minutes: q.eta_minutes,
  priority: q.priority,
  model_versions: q.model_versions,
});

describe('online mode and stream give the same answer (real broker, registry, models, HTTP)', () => {
  let fleet: FleetHarness;
  let online: StartedOnline;
  let client: FleetClient;
  let source: Awaited<ReturnType<typeof csvRides>>;

  beforeAll(
    async () => {
      fleet = await startFleet({ joinTimeoutMs: JOIN_TIMEOUT_MS });
      online = await startOnline();
      client = createFleetClient({
        kafka: testKafka('e2e-client'),
        registry: testRegistry(),
        logger: testLogger('client'),
        env: { TOPIC_RIDES: fleet.topics.rides, TOPIC_DECISIONS: fleet.topics.decisions, ONLINE_URL: online.url },
      });
      source = await csvRides(RIDES);
    },
    testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS),
  );
  afterAll(async () => {
    await client?.close();
    await online?.stop();
    await fleet?.stop();
  });

  it(
    "quotes each ride exactly as the stream decides it, through the backend's client library",
    { timeout: testTimeoutMs(REBALANCE_TIMEOUT_MS, DECIDED_WITHIN_MS) },
    async () => {
      const prefix = randomName('quoted');
      const rides = source.rides.map((r, i) => ({ ...r, ride_id: `${prefix}-${i}`, event_time: Date.now() }));
      // Before booking: quotes over HTTP, as a list and one by one.
      const listed = await client.quote(rides);
      const single = await Promise.all(rides.slice(0, 10).map((r) => client.quote(r)));
      // At pickup: the same rides through the stream.
      await client.publish(rides);
      const decisions = await Promise.all(
        rides.map((r) => client.awaitDecision(r.ride_id, { timeoutMs: REBALANCE_TIMEOUT_MS + DECIDED_WITHIN_MS })),
      );
      expect(decisions.every((d) => d.complete && d.missing_models.length === 0)).toBe(true);
      expect(listed.map(comparable)).toEqual(decisions.map(comparable));
      expect(single.map(comparable)).toEqual(decisions.slice(0, 10).map(comparable));
    },
  );

  it(
    'quotes what `fleet predict` writes for the same file of rides',
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'online-predict-'));
      try {
        const input = join(dir, 'rides.csv');
        const output = join(dir, 'predictions.csv');
        await writeFile(input, `${[source.header, ...source.lines].join('\n')}\n`);
        expect(await runFleet(['predict', '--input', input, '--output', output])).toBe(0);
        const predicted = (await readFile(output, 'utf8'))
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.split(',').slice(-3).join(','));
        const quotes = await client.quote(source.rides);
        const rounded = quotes.map((q) => [q.duration_min, q.cost_usd, q.tip_usd].map((v) => v.toFixed(2)).join(','));
        expect(rounded).toEqual(predicted);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MODEL_NAMES,
  modelVersionDir,
  readModelManifest,
  writeModelManifest,
  type RideQuote,
  type RideStarted,
} from '@fleet/contract';
import { decide, estimateRange, quotedRanges } from '@fleet/decision';
import type { Scores } from '@fleet/scoring';
import type { OnlineModels } from '@fleet/online';
import { copyOfModels, eventually } from '../helpers.js';
import { holdCalls, metric, post, startOnline, testRides, type StartedOnline } from './helpers.js';

/** The quote of `rides` computed here from the models and the rules, without the service. */
async function expectedQuotes(models: OnlineModels, rides: RideStarted[]): Promise<Omit<RideQuote, 'quoted_at'>[]> {
  const [duration, cost, tip] = await Promise.all(MODEL_NAMES.map((m) => models.byName[m].predictRides(rides)));
  const range = (o: Scores, i: number) => estimateRange(o.lower?.[i], o.upper?.[i]);
  return rides.map((ride, i) => {
    const estimates = { duration_min: duration.value[i], cost_usd: cost.value[i], tip_usd: tip.value[i] };
    const { fare_quote_usd, eta_minutes, priority } = decide(estimates);
    const model_versions = Object.fromEntries(MODEL_NAMES.map((m) => [m, models.byName[m].version]));
    const ranges = quotedRanges({ duration: range(duration, i), cost: range(cost, i) });
    return {
      ride_id: ride.ride_id,
      ...estimates,
      fare_quote_usd,
      eta_minutes,
      priority,
      model_versions,
      ...ranges,
    } as Omit<RideQuote, 'quoted_at'>;
  });
}

const withoutTime = ({ quoted_at: _, ...rest }: RideQuote) => rest;

describe('POST /v1/quote (real HTTP, real models)', () => {
  const NOW = Date.UTC(2026, 10, 25, 14, 30);
  let server: StartedOnline;
  let rides: RideStarted[];

  beforeAll(async () => {
    server = await startOnline({}, { clock: () => NOW });
    rides = await testRides(60);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers one ride with the models' estimates and the decision rules' outcome", async () => {
    const answer = await post(`${server.url}/v1/quote`, rides[0]);
    expect(answer.status).toBe(200);
    const [expected] = await expectedQuotes(server.online.models, [rides[0]]);
    expect(answer.body).toEqual({ ...expected, quoted_at: NOW });
  });

  it('answers {"rides": [...]} with one quote per ride, in order', async () => {
    const answer = await post(`${server.url}/v1/quote`, { rides });
    expect(answer.status).toBe(200);
    expect(answer.body.quotes.map(withoutTime)).toEqual(await expectedQuotes(server.online.models, rides));
  });

  it('generates ride_id and takes now as event and pickup time when they are absent', async () => {
    const { ride_id: _, event_time: __, pickup_time: ___, ...bare } = rides[1];
    const answer = await post(`${server.url}/v1/quote`, { rides: [bare, bare] });
    expect(answer.status).toBe(200);
    const [a, b] = answer.body.quotes as RideQuote[];
    expect(a.ride_id).toMatch(/^quote-[0-9a-f-]{36}$/);
    expect(b.ride_id).not.toBe(a.ride_id);
    const [expected] = await expectedQuotes(server.online.models, [{ ...rides[1], pickup_time: NOW }]);
    expect(withoutTime(a)).toEqual({ ...expected, ride_id: a.ride_id });
  });

  it('takes zones, boroughs and payment as optional (null, null, UNKNOWN)', async () => {
    const ride = {
      estimated_distance_miles: 2.5,
      passengers: 1,
      service_color: 'GREEN',
      pickup_time: rides[2].pickup_time,
    };
    const answer = await post(`${server.url}/v1/quote`, { ...ride, ride_id: 'bare-1' });
    expect(answer.status).toBe(200);
    const full: RideStarted = {
      ...ride,
      service_color: 'GREEN',
      ride_id: 'bare-1',
      event_time: NOW,
      pickup_zone: null,
      dropoff_zone: null,
      pickup_borough: null,
      dropoff_borough: null,
      payment_method: 'UNKNOWN',
    };
    expect(withoutTime(answer.body)).toEqual((await expectedQuotes(server.online.models, [full]))[0]);
  });
});

describe('micro-batching', () => {
  it('scores the requests that arrive while the models are busy in one call of the three models', async () => {
    const held = holdCalls();
    const server = await startOnline({}, { run: held.run });
    try {
      // The served versions merge into one graph: a call runs the three in one onnxruntime call.
      expect(server.online.models.apart).toBeNull();
      const rides = await testRides(21, 'batched');
      const first = post(`${server.url}/v1/quote`, rides[0]);
      await held.made(1);
      const rest = rides.slice(1).map((ride) => post(`${server.url}/v1/quote`, ride));
      await eventually(async () => (await metric(server.url, 'fleet_online_queued_rows')) === 21, '21 rides queued');
      held.release();
      const answers = await Promise.all([first, ...rest]);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(answers.map((a) => withoutTime(a.body))).toEqual(await expectedQuotes(server.online.models, rides));
      // The first ride alone (the models were idle), then the 20 that queued behind it together.
      expect(held.calls).toEqual([
        { model: 'quotes', rows: 1 },
        { model: 'quotes', rows: 20 },
      ]);
      for (const model of MODEL_NAMES) {
        expect(await metric(server.url, 'fleet_online_batch_requests_sum', { model })).toBe(21);
        expect(await metric(server.url, 'fleet_online_batch_requests_count', { model })).toBe(2);
      }
    } finally {
      await server.stop();
    }
  });

  it('when off (ONLINE_BATCHING=false), calls the models once per request', async () => {
    const held = holdCalls();
    const server = await startOnline({ ONLINE_BATCHING: 'false' }, { run: held.run });
    try {
      const rides = await testRides(5, 'unbatched');
      const pending = rides.map((ride) => post(`${server.url}/v1/quote`, ride));
      await held.made(5);
      held.release();
      const answers = await Promise.all(pending);
      expect(answers.map((a) => withoutTime(a.body))).toEqual(await expectedQuotes(server.online.models, rides));
      expect(held.calls).toEqual(rides.map(() => ({ model: 'quotes', rows: 1 })));
    } finally {
      await server.stop();
    }
  });
});

describe('POST /v1/quote with model versions that have an interval', () => {
  let server: StartedOnline;
  let rides: RideStarted[];
  let models: string;

  beforeAll(async () => {
    // A copy of the models whose manifest makes 2.0.0 of duration and cost current.
    models = copyOfModels();
    const manifest = readModelManifest(models);
    for (const m of ['duration', 'cost'] as const) manifest[m] = { current: '2.0.0', previous: manifest[m].current };
    writeModelManifest(manifest, models);
    server = await startOnline({ MODELS_DIR: models });
    rides = await testRides(40);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(models, { recursive: true, force: true });
  });

  it('quotes a fare range and a trip-time range around the point quotes, as the stream decides them', async () => {
    const answer = await post(`${server.url}/v1/quote`, { rides });
    expect(answer.status).toBe(200);
    const quotes = (answer.body.quotes as RideQuote[]).map(withoutTime);
    expect(quotes).toEqual(await expectedQuotes(server.online.models, rides));
    for (const q of quotes) {
      expect(q.model_versions).toMatchObject({ duration: '2.0.0', cost: '2.0.0' });
      expect(q.fare_low_usd!).toBeLessThanOrEqual(q.fare_quote_usd);
      expect(q.fare_high_usd!).toBeGreaterThanOrEqual(q.fare_quote_usd);
      expect(q.eta_low_minutes!).toBeLessThanOrEqual(q.eta_minutes);
      expect(q.eta_high_minutes!).toBeGreaterThanOrEqual(q.eta_minutes);
    }
    // The ranges are real: not every one collapses onto its point quote.
    expect(quotes.some((q) => q.fare_high_usd! - q.fare_low_usd! >= 2)).toBe(true);
    // Versions with intervals (2.0.0) and without (tip 1.0.0) merge as well.
    expect(server.online.models.apart).toBeNull();
  });
});

describe('POST /v1/quote with model versions that cannot be merged into one graph', () => {
  it('calls each model apart, and quotes the same', async () => {
    // A copy of the models where tip's ONNX file declares another IR version (7, the file's
    // second byte; the card's sha256 updated): onnxruntime loads it, the merge refuses it.
    const models = copyOfModels();
    const dir = modelVersionDir('tip', readModelManifest(models).tip.current, models);
    const onnx = readFileSync(join(dir, 'model.onnx'));
    expect(onnx.subarray(0, 2)).toEqual(Buffer.from([0x08, 0x08]));
    onnx[1] = 7;
    writeFileSync(join(dir, 'model.onnx'), onnx);
    const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { sha256: string };
    card.sha256 = createHash('sha256').update(onnx).digest('hex');
    writeFileSync(join(dir, 'model.json'), JSON.stringify(card, null, 2));
    const held = holdCalls();
    const server = await startOnline({ MODELS_DIR: models }, { run: held.run });
    try {
      expect(server.online.models.apart).toMatch(/^cannot merge models .*: model "tip" has another IR version/);
      const rides = await testRides(12, 'apart');
      held.release();
      const answer = await post(`${server.url}/v1/quote`, { rides });
      expect(answer.status).toBe(200);
      expect((answer.body.quotes as RideQuote[]).map(withoutTime)).toEqual(
        await expectedQuotes(server.online.models, rides),
      );
      expect(held.calls).toEqual([{ model: 'quotes', rows: 12 }]);
    } finally {
      await server.stop();
      rmSync(models, { recursive: true, force: true });
    }
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@fleet/contract';
import { launchService } from '@fleet/cli/launcher';
import { eventually } from '../helpers.js';
import { SERVICE_START_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';
import { holdCalls, metric, post, startOnline, testRides, type Answer } from './helpers.js';

const expectTurnedAway = (answer: Answer, retryAfter: string): void => {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('retry-after')).toBe(retryAfter);
  expect(answer.body.code).toBe('FLEET_OVERLOADED');
};

describe('overload (the models held busy, real HTTP)', () => {
  it('turns requests beyond ONLINE_MAX_IN_FLIGHT away with 503 and Retry-After, answers the admitted ones, recovers', async () => {
    const held = holdCalls();
    const server = await startOnline(
      { ONLINE_MAX_IN_FLIGHT: '8', ONLINE_MAX_QUEUED_ROWS: '1000', ONLINE_RETRY_AFTER_SEC: '2' },
      { run: held.run },
    );
    try {
      const quote = `${server.url}/v1/quote`;
      const rides = await testRides(8, 'admitted');
      const admitted = rides.map((ride) => post(quote, ride));
      await eventually(async () => (await metric(server.url, 'fleet_online_in_flight_requests')) === 8, '8 in flight');
      const away = await Promise.all(
        Array.from({ length: 50 }, (_, i) => post(quote, { ...rides[0], ride_id: `away-${i}` })),
      );
      for (const answer of away) expectTurnedAway(answer, '2');
      held.release();
      const answers = await Promise.all(admitted);
      expect(answers.map((a) => [a.status, a.body.ride_id])).toEqual(rides.map((r) => [200, r.ride_id]));
      for (const ride of await testRides(20, 'recovered')) expect((await post(quote, ride)).status).toBe(200);
      expect(await metric(server.url, 'fleet_online_in_flight_requests_peak')).toBe(8);
      expect(await metric(server.url, 'fleet_online_rejected_total', { reason: 'too_many_requests' })).toBe(50);
      expect(await metric(server.url, 'fleet_online_in_flight_requests')).toBe(0);
      expect(await metric(server.url, 'fleet_online_queued_rows')).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('turns away a request whose rides do not fit in ONLINE_MAX_QUEUED_ROWS, and admits one that fits', async () => {
    const held = holdCalls();
    const server = await startOnline({ ONLINE_MAX_QUEUED_ROWS: '20', ONLINE_MAX_RIDES: '20' }, { run: held.run });
    try {
      const quote = `${server.url}/v1/quote`;
      const rides = await testRides(30, 'queued');
      const first = post(quote, { rides: rides.slice(0, 15) });
      await eventually(async () => (await metric(server.url, 'fleet_online_queued_rows')) === 15, '15 rides queued');
      const tooMany = await post(quote, { rides: rides.slice(15, 25) });
      expectTurnedAway(tooMany, '1');
      expect(tooMany.body.error).toMatch(/holds 15 of at most 20 rides; 10 more do not fit/);
      const fits = post(quote, { rides: rides.slice(25, 30) });
      await eventually(async () => (await metric(server.url, 'fleet_online_queued_rows')) === 20, '20 rides queued');
      held.release();
      expect((await first).body.quotes).toHaveLength(15);
      expect((await fits).body.quotes).toHaveLength(5);
      expect(await metric(server.url, 'fleet_online_queued_rows_peak')).toBe(20);
      expect(await metric(server.url, 'fleet_online_rejected_total', { reason: 'queue_full' })).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('refuses to start when a request may hold more rides than the queue (it could never be admitted)', async () => {
    await expect(startOnline({ ONLINE_MAX_QUEUED_ROWS: '50', ONLINE_MAX_RIDES: '51' })).rejects.toMatchObject({
      code: 'FLEET_CONFIG_INVALID',
      message: expect.stringMatching(/^ONLINE_MAX_RIDES \(51\) is above ONLINE_MAX_QUEUED_ROWS \(50\)/),
    });
  });
});

describe('overload of a service process (a burst far beyond its bounds)', () => {
  const MAX_IN_FLIGHT = 16;
  const MAX_QUEUED_ROWS = 512;
  const ROUNDS = 10;
  const CONCURRENT = 200;

  it(
    'answers every request 200 or 503, never more work than its bounds, bounded memory, then serves every request',
    { timeout: testTimeoutMs(SERVICE_START_MS, WORK_ALLOWANCE_MS) },
    async () => {
      const proc = await launchService('online', {
        env: {
          ONLINE_HOST: '127.0.0.1',
          ONLINE_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
          ONLINE_MAX_QUEUED_ROWS: String(MAX_QUEUED_ROWS),
          ONLINE_MAX_RIDES: String(MAX_QUEUED_ROWS),
          LOG_LEVEL: 'warn',
        },
        logFile: join(REPO_ROOT, '.fleet', 'logs', 'test-online-overload.log'),
      });
      try {
        await proc.waitReady(SERVICE_START_MS);
        const url = `http://127.0.0.1:${proc.port}`;
        const rides = await testRides(100, 'burst');
        await post(`${url}/v1/quote`, { rides });
        const rssBefore = await metric(url, 'process_resident_memory_bytes');
        const statuses: Array<number | string> = [];
        for (let round = 0; round < ROUNDS; round++) {
          const answers = await Promise.all(
            Array.from({ length: CONCURRENT }, () =>
              post(`${url}/v1/quote`, { rides }).then(
                (a) => a.status,
                (err: unknown) => `error: ${String(err)}`,
              ),
            ),
          );
          statuses.push(...answers);
        }
        expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
        expect(statuses).toContain(503);
        expect(statuses).toContain(200);
        expect(await metric(url, 'fleet_online_in_flight_requests_peak')).toBeLessThanOrEqual(MAX_IN_FLIGHT);
        expect(await metric(url, 'fleet_online_queued_rows_peak')).toBeLessThanOrEqual(MAX_QUEUED_ROWS);
        // The bounds are what bound memory: what the burst left behind is a fraction of what
        // queuing every request (2,000 × 100 rides) would have held.
        const grownMb = ((await metric(url, 'process_resident_memory_bytes')) - rssBefore) / 2 ** 20;
        expect(grownMb).toBeLessThan(256);
        for (let i = 0; i < 20; i++) expect((await post(`${url}/v1/quote`, { rides })).status).toBe(200);
        expect(await metric(url, 'fleet_online_queued_rows')).toBe(0);
      } finally {
        await proc.stop(WORK_ALLOWANCE_MS);
      }
    },
  );
});

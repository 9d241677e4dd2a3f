import { loadRideCsv, type ModelName, type RideStarted } from '@fleet/contract';
import { parseSamples } from '@fleet/core';
import { createOnlineProcess, type ModelCall, type OnlineProcess, type OnlineProcessOverrides } from '@fleet/online';
import { eventually, testLogger } from '../helpers.js';

/** An online service started in this process on a free port of 127.0.0.1, over real HTTP. */
export interface StartedOnline {
  url: string;
  online: OnlineProcess;
  stop(): Promise<void>;
}

/** Starts the online service by its one composition, with `env` on top of the defaults. */
export async function startOnline(
  env: Record<string, string> = {},
  overrides: Omit<OnlineProcessOverrides, 'env'> = {},
): Promise<StartedOnline> {
  const online = await createOnlineProcess({
    logger: testLogger('online'),
    ...overrides,
    env: { ONLINE_PORT: '0', ONLINE_HOST: '127.0.0.1', ...env },
  });
  const port = await online.service.start();
  return { url: `http://127.0.0.1:${port}`, online, stop: () => online.stop() };
}

/** An HTTP answer, its body parsed as JSON when it is JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies of many shapes, checked by the tests
  body: any;
}

/** POSTs `body` (JSON-encoded unless a string or Buffer) to `url`. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await fetch(url, { method: 'POST', body: raw, headers });
  return answerOf(response);
}

/** GETs `url`. */
export async function get(url: string): Promise<Answer> {
  return answerOf(await fetch(url));
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json');
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

/** The value of a metric on `/metrics` (the first sample whose labels include `labels`). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await get(`${url}/metrics`)).body as string;
  const sample = parseSamples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? Number.NaN;
}

/** Real rides the models never saw (the test split), with fresh ids. */
export async function testRides(count: number, idPrefix = 'online'): Promise<RideStarted[]> {
  const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
  return rows
    .flatMap((r) => (r.ok ? [r.ride] : []))
    .slice(0, count)
    .map((ride, i) => ({ ...ride, ride_id: `${idPrefix}-${i}` }));
}

/** Model calls held until `release()`: what a busy model looks like, without timing. */
export interface HeldCalls {
  /** Every call made, in order: which model (`quotes`: the three at once), how many rows. */
  calls: Array<{ model: ModelName | 'quotes'; rows: number }>;
  run: NonNullable<OnlineProcessOverrides['run']>;
  release(): void;
  /** Waits until `n` calls have been made. */
  made(n: number): Promise<void>;
}

/** Holds every model call until released. */
export function holdCalls(): HeldCalls {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const calls: HeldCalls['calls'] = [];
  return {
    calls,
    run:
      <T>(model: ModelName | 'quotes', real: ModelCall<T>): ModelCall<T> =>
      async (features, rows) => {
        calls.push({ model, rows });
        await released;
        return real(features, rows);
      },
    release,
    made: (n) => eventually(() => calls.length >= n, `${n} model calls`),
  };
}

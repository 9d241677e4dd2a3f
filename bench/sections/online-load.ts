/**
 * HTTP load for the online stage, the same for every server measured: saturation with
 * autocannon (closed loop: each connection sends its next request when the answer came),
 * and a fixed rate in open loop (requests sent on a schedule whatever the answers do).
 * autocannon's own rate limit sends each second's quota in one burst at the start of the
 * second, which measures a burst, not a rate: the fixed rate is paced here instead. Every
 * latency is one request's, from its write to its whole answer (hrtime, sub-millisecond).
 */
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { quantile } from '@fleet/core';

/** What a load run measured. */
export interface LoadRun {
  /** Answers per second (2xx or not) over the run. */
  requestsPerSec: number;
  requests: number;
  seconds: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Answers that were not 2xx. */
  non2xx: number;
  /** Requests that got no answer (connection errors, timeouts). */
  errors: number;
}

function summary(latencies: number[], requests: number, seconds: number, non2xx: number, errors: number): LoadRun {
  return {
    requestsPerSec: requests / seconds,
    requests,
    seconds,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1) },
    non2xx,
    errors,
  };
}

/** `bodies` sent in turn, one per request. */
function rotation(bodies: readonly string[]): () => string {
  let next = 0;
  return () => bodies[next++ % bodies.length];
}

/** As many requests as the server answers, on `connections` keep-alive connections, for `seconds`. */
export async function saturate(
  url: string,
  bodies: readonly string[],
  connections: number,
  seconds: number,
): Promise<LoadRun> {
  const body = rotation(bodies);
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        connections,
        duration: seconds,
        requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
      },
      (err: unknown, done: autocannon.Result) => (err ? reject(err as Error) : resolve(done)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status < 300) latencies.push(ms);
    });
  });
  const answered = result.requests.total;
  return summary(latencies, answered, result.duration, result.non2xx, result.errors + result.timeouts);
}

/** POSTs one body; resolves to [status, ms from write to the whole answer] or an error. */
function post(agent: Agent, url: URL, body: string): Promise<[number, number] | Error> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve([res.statusCode ?? 0, Number(process.hrtime.bigint() - started) / 1e6]));
        res.on('error', (err) => resolve(err));
      },
    );
    req.on('error', (err) => resolve(err));
    req.end(body);
  });
}

/**
 * `ratePerSec` requests per second for `seconds`, each sent when due (open loop), on
 * keep-alive connections opened as needed; waits for every answer.
 */
export async function atRate(
  url: string,
  bodies: readonly string[],
  ratePerSec: number,
  seconds: number,
): Promise<LoadRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const target = new URL(url);
  const body = rotation(bodies);
  const total = Math.round(ratePerSec * seconds);
  const pending: Array<Promise<[number, number] | Error>> = [];
  const start = performance.now();
  const dueAt = (i: number): number => start + (i * 1000) / ratePerSec;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      while (pending.length < total && dueAt(pending.length) <= performance.now())
        pending.push(post(agent, target, body()));
      if (pending.length >= total) return resolve();
      setTimeout(tick, Math.max(0, dueAt(pending.length) - performance.now()));
    };
    tick();
  });
  const answers = await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const done = answers.filter((a): a is [number, number] => !(a instanceof Error));
  const non2xx = done.filter(([status]) => status >= 300).length;
  const latencies = done.filter(([status]) => status < 300).map(([, ms]) => ms);
  return summary(latencies, done.length, elapsed, non2xx, answers.length - done.length);
}

import { FleetError } from '@fleet/contract';
import { connect } from 'node:net';
import type { Progress } from './config.js';

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** GETs a URL; resolves to the HTTP status, or 0 when nothing answered in time. */
export async function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Shown in progress lines and the timeout error: "Kafka on 127.0.0.1:9092". */
  readonly what: string;
  readonly timeoutMs: number;
  readonly onProgress?: Progress;
  /** Checked on every round; a string is a fatal reason (e.g. the process died) and stops the wait. */
  readonly failure?: () => string | undefined | Promise<string | undefined>;
  /** @default 250 */
  readonly intervalMs?: number;
  /** Called when the wait times out (e.g. to stop what never answered); what it says ends the error. */
  readonly onTimeout?: () => Promise<string>;
}

/** Polls `check` until it resolves true, reporting "waiting for … Ns" every few seconds. */
export async function waitFor(check: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    if (await check()) return;
    const failure = await opts.failure?.();
    if (failure) throw new FleetError('FLEET_INFRA_FAILED', `${opts.what} did not come up: ${failure}`);
    const now = Date.now();
    if (now - started > opts.timeoutMs) {
      const detail = opts.onTimeout ? `; ${await opts.onTimeout()}` : '';
      throw new FleetError(
        'FLEET_INFRA_FAILED',
        `timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.what}${detail}`,
      );
    }
    if (now - lastReport >= 3000) {
      lastReport = now;
      opts.onProgress?.(`waiting for ${opts.what} … ${Math.round((now - started) / 1000)}s`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

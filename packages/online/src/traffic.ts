import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ErrorAnswer } from './http-errors.js';
import type { RejectReason } from './metrics.js';

/** Options of {@link installTraffic}. */
export interface TrafficOptions {
  /** POST requests admitted at once (bodies being read included). */
  maxInFlight: number;
  retryAfterSec: number;
  /** Counts a request turned away. */
  onReject: (reason: RejectReason) => void;
  /** Sends an error answer. */
  send: (reply: FastifyReply, answer: ErrorAnswer) => FastifyReply;
}

/** The requests of a server: how many are in flight, and the drain before it closes. */
export interface Traffic {
  readonly inFlight: number;
  /** The most POST requests ever in flight at once (never above the bound). */
  readonly peakInFlight: number;
  readonly draining: boolean;
  /**
   * Stops admitting work (a new POST gets 503, every answer says `Connection: close`) and
   * resolves once nothing is in flight and no request has come for a moment (or, under
   * traffic that never pauses, for at most {@link QUIET_LIMIT_MS}): requests already sent
   * are read and answered before the server closes, not reset with it.
   */
  drain(): Promise<void>;
}

/** How long the server must hear no request before a drain is over. */
const QUIET_MS = 100;
/**
 * How long a drain waits for that quiet at most: clients that keep sending (probes, a
 * scraper, a client not yet told the replica is going) would otherwise hold it for ever.
 */
export const QUIET_LIMIT_MS = 2000;
const POLL_MS = 10;

/**
 * Admission of requests, checked before a body is read: beyond `maxInFlight` POST requests
 * in flight, or while draining, a POST gets 503 with `Retry-After`.
 */
export function installTraffic(app: FastifyInstance, options: TrafficOptions): Traffic {
  let inFlight = 0;
  let peakInFlight = 0;
  let draining = false;
  let lastRequestAt = 0;
  const reject = (reply: FastifyReply, reason: RejectReason, error: string): FastifyReply => {
    options.onReject(reason);
    const body = { error, code: 'FLEET_OVERLOADED' as const };
    return options.send(reply, { status: 503, body, retryAfterSec: options.retryAfterSec, serverFault: false });
  };
  // Callback hooks, not async ones: each request runs them, and a promise per hook costs more
  // than their work. A hook that answers (reply.send) does not call done.
  app.addHook('onRequest', (request, reply, done) => {
    lastRequestAt = performance.now();
    if (draining) reply.header('connection', 'close');
    if (request.method !== 'POST') return done();
    if (draining) return void reject(reply, 'draining', 'the service is shutting down: retry on another replica');
    if (inFlight >= options.maxInFlight) {
      return void reject(
        reply,
        'too_many_requests',
        `${options.maxInFlight} requests are in flight already: retry later`,
      );
    }
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    // 'close' fires once whether the answer was sent or the client went away.
    reply.raw.once('close', () => inFlight--);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  return {
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    get draining() {
      return draining;
    },
    async drain() {
      draining = true;
      const quietUntil = performance.now() + QUIET_LIMIT_MS;
      const waitQuiet = () => performance.now() - lastRequestAt < QUIET_MS && performance.now() < quietUntil;
      while (inFlight > 0 || waitQuiet()) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
  };
}

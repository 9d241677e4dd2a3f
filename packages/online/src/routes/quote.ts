import type { FastifyInstance } from 'fastify';
import type { QuoteRide } from '@fleet/contract';
import { traceHeaders, type Tracing } from '@fleet/core';
import { quoteBodySchema } from '../schemas.js';
import type { Scoring } from '../scoring.js';

/** What `POST /v1/quote` needs. */
export interface QuoteOptions {
  scoring: Scoring;
  /** Most rides in one `{"rides": [...]}` request. */
  maxRides: number;
  /** A server span per request, child of its `traceparent`, and a `score` span inside it. */
  tracing: Tracing;
}

/**
 * `POST /v1/quote`: one ride in the `ride_started` shape → its quote; `{"rides": [...]}` →
 * `{"quotes": [...]}` in the same order. The same answer the stream decides for the ride.
 */
export async function quoteRoutes(app: FastifyInstance, options: QuoteOptions): Promise<void> {
  app.post<{ Body: QuoteRide | { rides: QuoteRide[] } }>(
    '/v1/quote',
    { schema: { body: quoteBodySchema(options.maxRides) } },
    async (request) => {
      const body = request.body;
      const headers = traceHeaders(request.headers as Record<string, string>);
      const server = options.tracing.span('POST /v1/quote', {
        parent: headers,
        kind: 'server',
        attributes: { 'http.request.method': 'POST', 'http.route': '/v1/quote' },
      });
      const score = options.tracing.span('score', { parent: server.headers });
      try {
        if ('rides' in body) return { quotes: await options.scoring.quote(body.rides, true) };
        const [quote] = await options.scoring.quote([body], false);
        return quote;
      } catch (err) {
        score.fail(err);
        server.fail(err);
        throw err;
      } finally {
        score.end();
        server.end();
      }
    },
  );
}

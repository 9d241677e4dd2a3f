import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram } from '@fleet/core';

/** Metric names of the online service, in one place for dashboards and alerts. */
export const ONLINE_METRIC = {
  requests: 'fleet_http_requests_total',
  requestSeconds: 'fleet_http_request_duration_seconds',
  batchRows: 'fleet_online_batch_rows',
  batchRequests: 'fleet_online_batch_requests',
  inference: 'fleet_online_inference_seconds',
  queuedRows: 'fleet_online_queued_rows',
  peakQueuedRows: 'fleet_online_queued_rows_peak',
  inFlight: 'fleet_online_in_flight_requests',
  peakInFlight: 'fleet_online_in_flight_requests_peak',
  rejected: 'fleet_online_rejected_total',
} as const;

/** Why a request was turned away with 503. */
export type RejectReason = 'queue_full' | 'too_many_requests' | 'draining';

/** The metrics of the online service. */
export interface OnlineMetrics {
  readonly registry: Registry;
  /** Records one answered request by route pattern, method and status. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** Records one call of `model` (or of the three at once, once for each): rows, requests merged into it, seconds. */
  observeBatch(model: string, rows: number, requests: number, seconds: number): void;
  rejected(reason: RejectReason): void;
}

/** What the gauges show when scraped. */
export interface Load {
  readonly queuedRows: number;
  readonly peakQueuedRows: number;
  readonly inFlight: number;
  readonly peakInFlight: number;
}

const SECONDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** Creates the online service's metrics (plus Node's defaults), labelled `service="online"`. */
export function createOnlineMetrics(load: () => Load): OnlineMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'online' });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const labelNames = ['route', 'method', 'status'] as const;
  const requests = new Counter({ name: ONLINE_METRIC.requests, help: 'HTTP requests answered', labelNames, registers });
  const seconds = new FastHistogram({
    name: ONLINE_METRIC.requestSeconds,
    help: 'From the request received to the answer sent, by route, method and status',
    labelNames,
    buckets: SECONDS,
    registers,
  });
  const batch = { labelNames: ['model'] as const, registers };
  const rows = new FastHistogram({
    ...batch,
    name: ONLINE_METRIC.batchRows,
    help: 'Rows per model call',
    buckets: ROWS,
  });
  const merged = new FastHistogram({
    ...batch,
    name: ONLINE_METRIC.batchRequests,
    help: 'Requests merged into one model call (micro-batching)',
    buckets: ROWS,
  });
  const inference = new FastHistogram({
    ...batch,
    name: ONLINE_METRIC.inference,
    help: 'Time of one call of the model (a call for quotes runs the three models at once, and counts for each)',
    buckets: SECONDS,
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect: function (this: Gauge) {
        this.set(read());
      },
    });
  gauge(ONLINE_METRIC.queuedRows, 'Rides admitted and not answered yet', () => load().queuedRows);
  gauge(ONLINE_METRIC.peakQueuedRows, 'Most rides admitted at once since start', () => load().peakQueuedRows);
  gauge(ONLINE_METRIC.inFlight, 'POST requests admitted and not answered yet', () => load().inFlight);
  gauge(ONLINE_METRIC.peakInFlight, 'Most POST requests admitted at once since start', () => load().peakInFlight);
  const rejected = new Counter({
    name: ONLINE_METRIC.rejected,
    help: 'Requests answered 503, by reason',
    labelNames: ['reason'],
    registers,
  });
  return {
    registry,
    observeRequest(route, method, status, s) {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      seconds.observe(labels, s);
    },
    observeBatch(model, n, requestCount, s) {
      rows.observe({ model }, n);
      merged.observe({ model }, requestCount);
      inference.observe({ model }, s);
    },
    rejected: (reason) => rejected.inc({ reason }),
  };
}

import { bool, commonEnv, int, serviceEnv, str, type ConfigOf } from '@fleet/core';
import { modelServiceEnv } from '@fleet/scoring';

const modelEnv = modelServiceEnv('<model>');

/**
 * Environment of the online service. It reads no Kafka variable: it answers over HTTP from
 * the model files alone.
 */
export const onlineEnv = {
  logLevel: commonEnv.logLevel,
  shutdownGraceMs: serviceEnv.shutdownGraceMs,
  tracesExporter: commonEnv.tracesExporter,
  tracesEndpoint: commonEnv.tracesEndpoint,
  onnxThreads: modelEnv.onnxThreads,
  port: int(
    'ONLINE_PORT',
    'HTTP port of the online service: /v1/quote, /v2 (Open Inference Protocol), /metrics, /healthz, /readyz (0 picks a free port)',
    8080,
    0,
    65535,
  ),
  host: str('ONLINE_HOST', 'Address the online service listens on', '0.0.0.0'),
  modelsDir: str(
    'MODELS_DIR',
    "Directory of the model versions and manifest.json (empty: the repository's models/)",
    '',
  ),
  batching: bool('ONLINE_BATCHING', 'Micro-batch requests that arrive together into one model call per model', true),
  batchMaxRows: int('ONLINE_BATCH_MAX_ROWS', 'Most rows (rides) in one micro-batched model call', 256, 1, 100_000),
  batchMaxWaitMs: int(
    'ONLINE_BATCH_MAX_WAIT_MS',
    'Longest an idle model holds a request for others to join its call, only while two more are due in that time (0: never; a free model starts at once with what queued)',
    0,
    0,
    1000,
  ),
  maxRides: int(
    'ONLINE_MAX_RIDES',
    'Most rides in one /v1/quote request ({"rides": [...]}), and rows in one /v2 infer request (at most ONLINE_MAX_QUEUED_ROWS)',
    1000,
    1,
    100_000,
  ),
  maxQueuedRows: int(
    'ONLINE_MAX_QUEUED_ROWS',
    'Rides admitted and not answered yet, beyond which a request gets 503 with Retry-After',
    4096,
    1,
  ),
  maxInFlight: int(
    'ONLINE_MAX_IN_FLIGHT',
    'POST requests admitted and not answered yet (bodies being read included), beyond which one gets 503',
    512,
    1,
  ),
  bodyLimitBytes: int('ONLINE_BODY_LIMIT_BYTES', 'Largest request body; a larger one gets 413', 1_048_576, 1024),
  retryAfterSec: int('ONLINE_RETRY_AFTER_SEC', 'Retry-After (seconds) of a 503', 1, 0, 3600),
} as const;

/** The parsed {@link onlineEnv}. */
export type OnlineConfig = ConfigOf<typeof onlineEnv>;

import { createOnlineProcess } from '@fleet/online';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: npx fleet serve [--port P] [--host H] [--models-dir DIR] [--no-batching]

Runs the online service in the foreground: the duration, cost and tip models (checksums
verified) and the decision rules over HTTP, on one port:

  POST /v1/quote                      one ride (ride_started shape, JSON) or {"rides": [...]}
                                      → estimates, fare quote, ETA, priority, model versions,
                                        fare and trip-time ranges (versions with an interval)
  GET  /v2, /v2/health/{live,ready}   Open Inference Protocol v2 (KServe, Triton, MLServer)
  GET  /v2/models/{m}[/ready]         m = duration | cost | tip
  POST /v2/models/{m}/infer           the model's input tensor "features" (FP32, [N, F])
  GET  /metrics /healthz /readyz

Requests that arrive together are scored in one model call per model (micro-batching).
No broker is needed. Every setting is also an environment variable (README, Configuration:
ONLINE_*); the flags below override them. SIGTERM or Ctrl-C: stop accepting, answer what
is in flight, exit (within SHUTDOWN_GRACE_MS).

Options:
  --port P          port (ONLINE_PORT, default 8080; 0 picks a free one, logged)
  --host H          address to listen on (ONLINE_HOST, default 0.0.0.0)
  --models-dir DIR  directory of the model versions and manifest.json (MODELS_DIR); the
                    current version of each model is served
  --no-batching     one model call per request (ONLINE_BATCHING=false)
  -h, --help        this help

Background instances: npx fleet up --online (and npx fleet scale online N).`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'models-dir': { type: 'string' },
    'no-batching': { type: 'boolean', default: false },
  });
  const env: Record<string, string> = {};
  if (values.port !== undefined) env.ONLINE_PORT = values.port;
  if (values.host !== undefined) env.ONLINE_HOST = values.host;
  if (values['models-dir'] !== undefined) env.MODELS_DIR = values['models-dir'];
  if (values['no-batching']) env.ONLINE_BATCHING = 'false';
  const online = await createOnlineProcess({ env });
  await online.run();
  // Serves until a signal: the shutdown handler drains and exits the process.
  return new Promise<number>(() => undefined);
}

/** `fleet serve`. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the online service (HTTP quotes, Open Inference Protocol v2) in the foreground',
  usage,
  run,
};

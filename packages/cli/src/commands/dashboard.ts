import { FleetError } from '@fleet/contract';
import { createKafkaClient, createLogger, kafkaConnection } from '@fleet/core';
import { parseCommandArgs, positiveInteger, positiveNumber } from '../args.js';
import type { Command } from '../command.js';
import { cliConfig } from '../config.js';
import { createCollector } from '../dashboard/collect.js';
import { startDashboardServer } from '../dashboard/server.js';
import { discoverTargets } from '../dashboard/targets.js';

const usage = `Usage: npx fleet dashboard [--port P] [--host H] [--interval S]

Serves one live web page of the fleet: rides/s and decisions/s, ride→decision latency
percentiles (last 10 s, plotted over time), lag per group and partition, dead letters by
error code, and the monitor's live MAE per model and version (plotted over time) and drift
status. It reads the /metrics of the services started by \`fleet up\` or by a running
\`fleet demo\`, and the broker (offsets, lag); the page updates by server-sent events.
Everything it serves comes from this repository and its npm packages (uPlot), nothing
from elsewhere.

  --port P      port (default 8090; 0 picks a free one)
  --host H      address to listen on (default 127.0.0.1)
  --interval S  seconds between refreshes (default 1)
  -h, --help    this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    interval: { type: 'string' },
  });
  const port = values.port === '0' ? 0 : (positiveInteger(values.port, 'port', 65_535) ?? 8090);
  const intervalMs = positiveNumber(values.interval, 'interval', 1) * 1000;
  // setTimeout takes at most 2^31 − 1 ms (about 24 days), and fires at once beyond.
  if (intervalMs > 3_600_000) throw new FleetError('FLEET_INPUT_INVALID', '--interval must be at most 3600 seconds');
  const host = values.host ?? '127.0.0.1';
  const config = cliConfig();
  const logger = createLogger({ service: 'dashboard', level: 'error' });
  const admin = await createKafkaClient(kafkaConnection(config, 'dashboard'), logger).admin();
  const collect = createCollector(admin, config, discoverTargets);
  // A port taken (a second dashboard) fails here: the admin must not keep the process alive.
  const dashboard = await startDashboardServer(port, host).catch(async (err: unknown) => {
    await admin.disconnect();
    throw err;
  });
  console.log(`dashboard: http://${host}:${dashboard.port}/  (Ctrl-C stops it)`);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  let running = true;
  void stopped.then(() => (running = false));
  while (running) {
    try {
      dashboard.publish(await collect());
    } catch (err) {
      // The broker away for a moment: the page keeps its last figures and says how old they are.
      logger.warn({ err }, 'dashboard refresh failed');
    }
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, intervalMs))]);
  }
  await dashboard.close();
  await admin.disconnect();
  return 0;
}

/** `fleet dashboard`. */
export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'a live web page of the fleet: rates, latency, lag, dead letters, live MAE and drift',
  usage,
  run,
};

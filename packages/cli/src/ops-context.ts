import { createKafkaClient, createLogger, kafkaConnection, type AdminClient, type CommonConfig } from '@fleet/core';
import { cliConfig } from './config.js';
import { groupOf, SERVICE_NAMES, type ServiceName } from './launcher/index.js';

/** A service's consumer group and the topic it reads. */
export interface ServiceGroup {
  service: ServiceName;
  group: string;
  topic: string;
}

/** The topics each stream service reads. */
function topicsOf(service: ServiceName, config: CommonConfig): string[] {
  if (service === 'decision') return [config.topicPredictions];
  if (service === 'monitor') return [config.topicPredictions, config.topicCompleted, config.topicRides];
  return [config.topicRides];
}

/** The consumer groups of the fleet with the topics they read, one entry per group and topic. */
export function serviceGroups(config: CommonConfig): ServiceGroup[] {
  return SERVICE_NAMES.flatMap((service) =>
    topicsOf(service, config).map((topic) => ({ service, group: groupOf(service, cliConfig().groupPrefix), topic })),
  );
}

/** Runs `fn` with an admin client on the configured cluster, and disconnects. */
export async function withAdmin<T>(fn: (admin: AdminClient, config: CommonConfig) => Promise<T>): Promise<T> {
  const config = cliConfig();
  // The CLI prints its own results; only errors of the client are worth a log line here.
  const logger = createLogger({ service: 'fleet-cli', level: 'error' });
  const admin = await createKafkaClient(kafkaConnection(config, 'cli'), logger).admin();
  try {
    return await fn(admin, config);
  } finally {
    await admin.disconnect();
  }
}

/** Formats rows as a left-aligned text table with a header. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

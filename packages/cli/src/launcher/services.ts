/** The fleet's service processes and their entry points. */
export const SERVICE_ENTRIES = {
  duration: 'packages/duration/src/main.ts',
  cost: 'packages/cost/src/main.ts',
  tip: 'packages/tip/src/main.ts',
  decision: 'packages/decision/src/main.ts',
  monitor: 'packages/monitor/src/main.ts',
  online: 'packages/online/src/main.ts',
} as const;

/** A service that can be started, scaled and stopped. */
export type ServiceName = keyof typeof SERVICE_ENTRIES;

/** A service of the stream (a consumer group): every service but `online`. */
export type StreamServiceName = Exclude<ServiceName, 'online'>;

/** The stream services, in start order: what `fleet up` and the demo start. */
export const SERVICE_NAMES: StreamServiceName[] = ['duration', 'cost', 'tip', 'decision', 'monitor'];

/**
 * The variable that sets the port a service answers `/readyz` on: the operations endpoint
 * of a stream service, the HTTP server of the online service (which serves it too).
 */
export const SERVICE_PORT_ENV: Readonly<Record<ServiceName, string>> = {
  duration: 'METRICS_PORT',
  cost: 'METRICS_PORT',
  tip: 'METRICS_PORT',
  decision: 'METRICS_PORT',
  monitor: 'METRICS_PORT',
  online: 'ONLINE_PORT',
};

/** Whether `name` is a service. */
export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICE_ENTRIES, name);
}

/** Whether `name` is a stream service (one with a consumer group). */
export function isStreamServiceName(name: string): name is StreamServiceName {
  return (SERVICE_NAMES as string[]).includes(name);
}

/**
 * Consumer group of a service: `<prefix>.<service>`, `fleet.duration` by default. The CLI
 * hands the same name to the instances it starts (`GROUP_ID`).
 */
export function groupOf(service: ServiceName, prefix = 'fleet'): string {
  return `${prefix}.${service}`;
}

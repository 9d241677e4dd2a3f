/** The fleet's service processes and their entry points. */
export const SERVICE_ENTRIES = {
  duration: 'packages/duration/src/main.ts',
  cost: 'packages/cost/src/main.ts',
  tip: 'packages/tip/src/main.ts',
  decision: 'packages/decision/src/main.ts',
} as const;

/** A service that can be started, scaled and stopped. */
export type ServiceName = keyof typeof SERVICE_ENTRIES;

/** The four services, in start order. */
export const SERVICE_NAMES = Object.keys(SERVICE_ENTRIES) as ServiceName[];

/** Whether `name` is a service. */
export function isServiceName(name: string): name is ServiceName {
  return name in SERVICE_ENTRIES;
}

/**
 * Consumer group of a service: `<prefix>.<service>`, `fleet.duration` by default. The CLI
 * hands the same name to the instances it starts (`GROUP_ID`).
 */
export function groupOf(service: ServiceName, prefix = 'fleet'): string {
  return `${prefix}.${service}`;
}

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAlive, isProcessOf, SERVICE_ENTRIES } from '../launcher/index.js';
import { runDir } from './instances.js';

/** A service process the demo started, as other commands (the dashboard) find it. */
export interface DemoService {
  /** The service, e.g. `decision`. */
  service: string;
  pid: number;
  /** Port of its /metrics. */
  port: number;
}

/** Where a running demo lists its services (removed when it ends). */
const demoFile = (): string => join(runDir(), 'demo', 'services.json');

/** Lists the demo's services for the dashboard while the demo runs. */
export function registerDemoServices(services: readonly DemoService[]): void {
  mkdirSync(dirname(demoFile()), { recursive: true });
  writeFileSync(demoFile(), JSON.stringify(services.map(({ service, pid, port }) => ({ service, pid, port }))));
}

/** Forgets the demo's services (the demo ended). */
export function clearDemoServices(): void {
  rmSync(demoFile(), { force: true });
}

/** The services of a demo that runs now (those still alive), or none. */
export function demoServices(): DemoService[] {
  try {
    return (JSON.parse(readFileSync(demoFile(), 'utf8')) as DemoService[]).filter((s) =>
      Object.hasOwn(SERVICE_ENTRIES, s.service)
        ? isProcessOf(s.pid, SERVICE_ENTRIES[s.service as keyof typeof SERVICE_ENTRIES])
        : isAlive(s.pid),
    );
  } catch {
    return [];
  }
}

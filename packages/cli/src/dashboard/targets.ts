import { demoServices } from '../procs/demo-services.js';
import { listInstances } from '../procs/instances.js';
import type { Target } from './collect.js';

/**
 * The services whose `/metrics` the dashboard reads: the instances `fleet up` and `fleet
 * scale` started, and those of a `fleet demo` running now (same FLEET_STATE_DIR).
 */
export function discoverTargets(): Target[] {
  const up = listInstances()
    .filter((i) => i.service !== 'online')
    .map((i) => ({ service: i.service as string, port: i.port }));
  return [...up, ...demoServices().map(({ service, port }) => ({ service, port }))];
}

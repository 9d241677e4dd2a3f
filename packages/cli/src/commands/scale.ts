import { FleetError, isModelName } from '@fleet/contract';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { loadStack, serviceEnv } from '../procs/fleet-state.js';
import { forgetRollout } from '../lifecycle/rollout.js';
import { listInstances, startInstance, stopInstance } from '../procs/instances.js';
import { isServiceName, SERVICE_NAMES, waitReady, type ReadyTarget } from '../launcher/index.js';

const usage = `Usage: npx fleet scale <service> <n>

Sets how many instances of a service run. Instances of one service share its consumer
group, so the group's partitions are spread over them; more instances than partitions is
allowed, and the extra ones are idle. New instances are started and waited for until they
joined the group; surplus ones are stopped gracefully (finish the batch, commit, leave).

  <service>  ${[...SERVICE_NAMES, 'online'].join(' | ')} (online instances are replicas, each on a port of its own)
  <n>        0 to 64
  -h, --help this help`;

/** More instances than this is a typo, not a fleet on one machine. */
const MAX_INSTANCES = 64;

async function run(argv: readonly string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {}, true);
  const [service, countText] = positionals;
  // Digits only: Number('') is 0 (an unset variable would stop every instance), '1e2' 100.
  const count = /^\d{1,3}$/.test(countText ?? '') ? Number(countText) : NaN;
  if (positionals.length !== 2 || !isServiceName(service) || !(count <= MAX_INSTANCES)) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `expected <service> <n> (n from 0 to ${MAX_INSTANCES}), got ${JSON.stringify(positionals)}`,
    );
  }
  const stack = loadStack();
  if (!stack) {
    console.error('fleet scale: the fleet is not up; start it with: npx fleet up');
    return 1;
  }
  const running = listInstances(service);
  if (isModelName(service)) forgetRollout(service); // the count is the one given now
  const targets: Record<string, ReadyTarget> = {};
  for (let n = running.length; n < count; n++) {
    const instance = await startInstance(service, serviceEnv(stack, service));
    targets[`${service}-${instance.index}`] = instance;
  }
  const surplus = running.slice(count).reverse();
  await Promise.all(surplus.map((instance) => stopInstance(instance)));
  await waitReady(targets, 120_000);
  console.log(`${service}: ${listInstances(service).length} instance(s) (was ${running.length}); see npx fleet status`);
  return 0;
}

/** `fleet scale`. */
export const scaleCommand: Command = { name: 'scale', summary: 'set the number of instances of a service', usage, run };

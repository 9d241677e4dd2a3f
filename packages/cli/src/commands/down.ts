import { MODEL_NAMES } from '@fleet/contract';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { forgetRollout } from '../lifecycle/rollout.js';
import { clearStack, loadStack } from '../procs/fleet-state.js';
import { listInstances, stopInstance } from '../procs/instances.js';
import { FLEET_UP_HOLDER } from '../stack.js';

const usage = `Usage: npx fleet down [--keep-infra]

Stops every instance gracefully, then the local broker and registry if \`fleet up\`
started them and no other run (a test run, a demo) uses them now.

  --keep-infra  leave the broker and registry running
  -h, --help    this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { 'keep-infra': { type: 'boolean', default: false } });
  const instances = listInstances(undefined, 'all');
  await Promise.all(instances.map((i) => stopInstance(i)));
  console.log(`stopped ${instances.length} instance(s)`);
  const stack = loadStack();
  if (stack) {
    const started = stack.startedByUp === true ? (['kafka', 'registry'] as const) : stack.startedByUp || [];
    const infra = await import('@fleet/infra');
    const { stopped, keptFor } = await infra.releaseStack(values['keep-infra'] ? [] : started, FLEET_UP_HOLDER);
    if (stopped.length > 0) console.log(`stopped the local ${stopped.join(' and ')}`);
    if (keptFor.length > 0 && !values['keep-infra'] && started.length > 0)
      console.log(`left the local ${started.join(' and ')} running: used by ${keptFor.join(', ')}`);
  }
  for (const model of MODEL_NAMES) forgetRollout(model);
  clearStack();
  return 0;
}

/** `fleet down`. */
export const downCommand: Command = {
  name: 'down',
  summary: 'stop the fleet (and the local stack fleet up started)',
  usage,
  run,
};

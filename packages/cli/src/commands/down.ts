import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { clearStack, loadStack } from '../procs/fleet-state.js';
import { listInstances, stopInstance } from '../procs/instances.js';

const usage = `Usage: npx fleet down [--keep-infra]

Stops every instance gracefully, then the local broker and registry if \`fleet up\`
started them.

  --keep-infra  leave the broker and registry running
  -h, --help    this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { 'keep-infra': { type: 'boolean', default: false } });
  const instances = listInstances(undefined, 'all');
  await Promise.all(instances.map((i) => stopInstance(i)));
  console.log(`stopped ${instances.length} instance(s)`);
  const stack = loadStack();
  if (stack?.startedByUp && !values['keep-infra']) {
    const infra = await import('@fleet/infra');
    await infra.stopStack();
    console.log('stopped the local broker and registry');
  }
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

import { isFleetError } from '@fleet/contract';
import type { Command } from './command.js';
import { commands } from './commands/index.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'fleet: run and operate the ride-predictions fleet',
    '',
    'Usage: npx fleet <command> [options]     (npx fleet <command> --help for details)',
    '',
    'Commands:',
    ...lines,
    '',
    'Configuration comes from environment variables (README, Configuration); defaults fit the local stack.',
  ].join('\n');
}

/** Runs `fleet` with `argv` (the arguments after `fleet`); resolves to the exit code. */
export async function runFleet(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`fleet: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (isFleetError(err, 'FLEET_INPUT_INVALID')) {
      console.error(`fleet ${command.name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    throw err;
  }
}
export { cliEnv, type CliConfig } from './config.js';
export { aclLine, aclTopics, applyAcls, fleetAclBindings, type AclChanges } from './acls.js';
export { initCluster, type InitOptions } from './commands/init.js';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { table } from '../ops-context.js';
import { loadStack } from '../procs/fleet-state.js';
import { instanceName, listInstances, probe } from '../procs/instances.js';

const usage = `Usage: npx fleet status [--json]

Lists the instances started by \`fleet up\` / \`fleet scale\` / \`fleet promote\` and the
shadows of \`fleet shadow\`: model version, pid, operations port, readiness, and the
partitions each one owns ("idle" when its group has more instances than partitions).

  --json      print JSON
  -h, --help  this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { json: { type: 'boolean', default: false } });
  const stack = loadStack();
  const instances = await Promise.all(
    listInstances(undefined, 'all').map(async (i) => {
      const state = await probe(i);
      const partitions = Object.entries(state?.assignment ?? {}).flatMap(([topic, ps]) =>
        ps.map((p) => `${topic}:${p}`),
      );
      return { ...i, ready: state?.ready ?? false, answering: state !== null, partitions };
    }),
  );
  if (values.json) {
    console.log(JSON.stringify({ stack, instances }, null, 2));
    return 0;
  }
  if (!stack && instances.length === 0) {
    console.log('the fleet is not up (npx fleet up starts it)');
    return 0;
  }
  if (stack) console.log(`broker ${stack.brokers} · registry ${stack.registryUrl}\n`);
  const rows = instances.map((i) => [
    instanceName(i),
    i.version ?? '-',
    i.pid,
    i.port,
    i.answering ? (i.ready ? 'ready' : 'not ready') : 'not answering',
    i.service === 'online' ? 'none (HTTP)' : i.partitions.length > 0 ? i.partitions.join(' ') : i.ready ? 'idle' : '-',
  ]);
  console.log(table(['instance', 'version', 'pid', 'port', 'state', 'partitions'], rows));
  return 0;
}

/** `fleet status`. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'instances, readiness and partition assignment',
  usage,
  run,
};

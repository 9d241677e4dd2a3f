import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { waitReady } from '../launcher/index.js';
import { modelArgs } from '../lifecycle/model-args.js';
import { positionShadowGroup, shadowEnv } from '../lifecycle/shadow-group.js';
import { withAdmin } from '../ops-context.js';
import { loadStack, serviceEnv } from '../procs/fleet-state.js';
import { instanceName, listInstances, startInstance, stopInstance } from '../procs/instances.js';

const usage = `Usage: npx fleet shadow <model> <version>
       npx fleet shadow <model> --stop

Runs <version> of <model> (duration, cost or tip) as a shadow beside the live version: its
own instance in its own consumer group (<prefix>.<model>.shadow-<version>), starting where the
live group stands (also when a shadow of the version ran before), publishing to the
predictions topic with shadow=true. The decision service ignores shadow predictions; the
monitor joins them with the rides' outcomes and compares them with the live version's on
the same rides: npx fleet compare <model>.

  --stop      stop the model's shadow instances
  -h, --help  this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { stop: { type: 'boolean', default: false } }, true);
  if (values.stop) {
    const { model } = modelArgs(positionals, false);
    const shadows = listInstances(model, 'shadow');
    await Promise.all(shadows.map((s) => stopInstance(s)));
    console.log(`${model}: stopped ${shadows.length} shadow instance(s)`);
    return 0;
  }
  const { model, version } = modelArgs(positionals, true);
  const stack = loadStack();
  if (!stack) {
    console.error('fleet shadow: the fleet is not up; start it with: npx fleet up');
    return 1;
  }
  const running = listInstances(model, 'shadow').find((s) => s.version === version);
  if (running) {
    console.log(`${instanceName(running)} runs ${model} ${version} as a shadow already`);
    return 0;
  }
  const group = await withAdmin((admin) => positionShadowGroup(admin, model, version));
  const instance = await startInstance(
    model,
    { ...serviceEnv(stack, model), ...shadowEnv(group, version) },
    { role: 'shadow', version },
  );
  try {
    await waitReady({ [instanceName(instance)]: instance }, 120_000);
  } catch (err) {
    // Not left behind: a later `fleet shadow` would take it for a running shadow.
    await stopInstance(instance);
    throw new Error(`${instanceName(instance)} (${model} ${version}) did not become ready; see ${instance.logFile}`, {
      cause: err,
    });
  }
  console.log(
    `${instanceName(instance)}: ${model} ${version} runs as a shadow in group ${group} ` +
      `(log ${instance.logFile}); then: npx fleet compare ${model}`,
  );
  return 0;
}

/** `fleet shadow`. */
export const shadowCommand: Command = {
  name: 'shadow',
  summary: 'run a model version as a shadow beside the live one',
  usage,
  run,
};

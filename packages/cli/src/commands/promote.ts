import { FleetError, modelVersionDir, readModelManifest, writeModelManifest } from '@fleet/contract';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { modelArgs, modelsDir } from '../lifecycle/model-args.js';
import { rollOut } from '../lifecycle/rollout.js';
import { createProgress } from '../progress.js';

const promoteUsage = `Usage: npx fleet promote <model> <version>

Makes <version> the live version of <model> (duration, cost or tip): records it as current
in models/manifest.json (MODELS_DIR), the one it replaces as previous, then replaces the
running instances of the model's consumer group one at a time — each new instance is ready
(model loaded, group joined) before the old one stops gracefully. The new version continues
from the group's committed offsets: no ride is skipped, and each ride is decided with
exactly one version of each model. Judge the version first: npx fleet shadow, npx fleet compare.
Undo with: npx fleet rollback <model>

  -h, --help  this help`;

const rollbackUsage = `Usage: npx fleet rollback <model>

Goes back to the version of <model> that was live before the last promote (the manifest's
previous), replacing the running instances one at a time like \`fleet promote\`. A second
rollback goes forward again.

  -h, --help  this help`;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Sets `version` live: manifest first (new instances read it), then the running instances. */
async function switchTo(command: string, model: Parameters<typeof rollOut>[0], version: string): Promise<number> {
  modelVersionDir(model, version, modelsDir());
  const manifest = readModelManifest(modelsDir());
  const from = manifest[model].current;
  const before = { ...manifest[model] };
  // Already current: only instances left on another version (a stopped promote) are replaced.
  if (from !== version) {
    manifest[model] = { current: version, previous: from };
    writeModelManifest(manifest, modelsDir());
  }
  const progress = createProgress();
  let started: Awaited<ReturnType<typeof rollOut>>;
  try {
    started = await rollOut(model, version, (line) => progress.done(line));
  } catch (err) {
    // Converging on the current version: there is no other version to go back to.
    if (from === version) throw err;
    // The manifest goes back and the instances already replaced return to the old version,
    // so the group runs one version again. Run the same command again once fixed.
    manifest[model] = before;
    writeModelManifest(manifest, modelsDir());
    console.error(`fleet ${command}: stopped; ${model} goes back to ${from}`);
    try {
      await rollOut(model, from, (line) => progress.done(line));
    } catch (back) {
      throw new Error(
        `${model}: ${version} did not go live (${errorText(err)}), and going back to ${from} failed too ` +
          `(${errorText(back)}); the group may run both versions (npx fleet status): ` +
          `run npx fleet promote ${model} ${from} once the cause is fixed`,
        { cause: err },
      );
    }
    throw err;
  }
  const where = started.length > 0 ? `${started.length} instance(s) replaced` : 'no instance runs (fleet up starts it)';
  if (from === version && started.length === 0) console.log(`${model}: ${version} is live already`);
  else console.log(`fleet ${command}: ${model} ${from} → ${version}; ${where}`);
  return 0;
}

async function promote(argv: readonly string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {}, true);
  const { model, version } = modelArgs(positionals, true);
  return switchTo('promote', model, version);
}

async function rollback(argv: readonly string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {}, true);
  const { model } = modelArgs(positionals, false);
  const previous = readModelManifest(modelsDir())[model].previous;
  if (previous === null) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `${model} has no previous version in the manifest (nothing was promoted); ` +
        'name one with: npx fleet promote <model> <version>',
    );
  }
  return switchTo('rollback', model, previous);
}

/** `fleet promote`. */
export const promoteCommand: Command = {
  name: 'promote',
  summary: 'make a model version live, replacing instances one at a time',
  usage: promoteUsage,
  run: promote,
};

/** `fleet rollback`. */
export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'go back to the model version live before the last promote',
  usage: rollbackUsage,
  run: rollback,
};

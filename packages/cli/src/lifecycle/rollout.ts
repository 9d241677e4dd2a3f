import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelName } from '@fleet/contract';
import { waitReady } from '../launcher/index.js';
import { loadStack, serviceEnv } from '../procs/fleet-state.js';
import { instanceName, listInstances, runDir, startInstance, stopInstance, type Instance } from '../procs/instances.js';

/** `fleet up` and `fleet scale` wait this long for a new instance. */
const READY_TIMEOUT_MS = 120_000;

/**
 * Replaces the live instances of a model service that do not run `version`, one at a time,
 * with instances of `version`: each new one joins the same consumer group and is ready (model loaded and
 * warmed, group joined) before the old one it replaces stops gracefully (finishes its
 * batch, commits, leaves). The group's committed offsets carry over, so no ride is skipped;
 * rides in flight at a switch may be scored by both versions, and the decision service
 * keeps the first prediction of each model per ride, so each decision has one version of
 * each model. Returns the instances started.
 */
export async function rollOut(model: ModelName, version: string, onStep: (line: string) => void): Promise<Instance[]> {
  const stack = loadStack();
  if (!stack) return [];
  // How many instances the service had when a rollout began: one cut short (Ctrl-C) left a
  // replacement beside the instance it was to replace, and the next one converges on it.
  const count = readRolloutCount(model) ?? listInstances(model).length;
  writeFileSync(rolloutFile(model), JSON.stringify({ count }));
  for (const surplus of surplusOf(listInstances(model), version, count)) {
    await stopInstance(surplus);
    onStep(`${instanceName(surplus)} (${surplus.version ?? '?'}) stopped: left over by a rollout cut short`);
  }
  const started: Instance[] = [];
  for (const old of listInstances(model).filter((i) => i.version !== version)) {
    const next = await startInstance(model, serviceEnv(stack, model), { version });
    onStep(`${instanceName(next)} (${version}) started, waiting until it is ready`);
    try {
      await waitReady({ [instanceName(next)]: next }, READY_TIMEOUT_MS);
    } catch (err) {
      // The old instance keeps serving: nothing was lost, the replacement is abandoned.
      await stopInstance(next);
      throw new Error(`${instanceName(next)} (${version}) did not become ready; see ${next.logFile}`, {
        cause: err,
      });
    }
    await stopInstance(old);
    onStep(`${instanceName(old)} (${old.version ?? '?'}) replaced by ${instanceName(next)} (${version})`);
    started.push(next);
  }
  rmSync(rolloutFile(model), { force: true });
  return started;
}

/** Where a rollout under way keeps the instance count it began with. */
const rolloutFile = (model: ModelName): string => join(runDir(), `${model}.rollout.json`);

function readRolloutCount(model: ModelName): number | undefined {
  if (!existsSync(rolloutFile(model))) return undefined;
  try {
    const { count } = JSON.parse(readFileSync(rolloutFile(model), 'utf8')) as { count?: unknown };
    return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : undefined;
  } catch {
    return undefined;
  }
}

/** Forgets a rollout cut short: `fleet scale` set the count anew. */
export function forgetRollout(model: ModelName): void {
  rmSync(rolloutFile(model), { force: true });
}

/**
 * The instances beyond `count` to stop before a rollout to `version` goes on: those on
 * another version first (each has a replacement on `version` running already), the newest
 * first.
 */
export function surplusOf(instances: readonly Instance[], version: string, count: number): Instance[] {
  const extra = instances.length - count;
  if (extra <= 0) return [];
  const order = [...instances].sort(
    (a, b) => Number(a.version === version) - Number(b.version === version) || b.index - a.index,
  );
  return order.slice(0, extra);
}

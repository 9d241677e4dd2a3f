import type { ModelName } from '@fleet/contract';
import { waitReady } from '../launcher/index.js';
import { loadStack, serviceEnv } from '../procs/fleet-state.js';
import { instanceName, listInstances, startInstance, stopInstance, type Instance } from '../procs/instances.js';

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
  return started;
}

import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { isFleetError, MODEL_NAMES, modelVersionDir } from '@fleet/contract';
import { loadRideModel, type RideModel } from '@fleet/scoring';
import type { Command } from '../command.js';
import { parseOptions, usage, type Options } from './predict/options.js';
import { scoreFile } from './predict/score-file.js';
import { summarize } from './predict/summary.js';

async function predict(opts: Options, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  const runners: RideModel[] = [];
  let out: FileHandle | undefined;
  const partial = `${opts.output}.partial`;
  try {
    for (const name of MODEL_NAMES) {
      runners.push(await loadRideModel(modelVersionDir(name, opts.versions[name], opts.modelsDir)));
    }
    // Written beside the output and renamed once complete: a failed run leaves no half file.
    out = await open(partial, 'w');
    const stats = await scoreFile(opts, runners, out, signal);
    await out.close();
    out = undefined;
    await rename(partial, opts.output);
    summarize(opts, runners, stats, started);
  } finally {
    await out?.close();
    await rm(partial, { force: true });
    await Promise.all(runners.map((r) => r.close()));
  }
}

/** `fleet predict`: scores a rides CSV with the three models into a predictions CSV. */
export const predictCommand: Command = {
  name: 'predict',
  summary: 'Score a rides CSV with the duration, cost and tip models (offline)',
  usage,
  async run(argv) {
    let opts: Options | 'help';
    try {
      opts = parseOptions(argv);
    } catch (err) {
      process.stderr.write(`fleet predict: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    if (opts === 'help') {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    // Ctrl-C or SIGTERM stops the reading; the partial output is removed on the way out
    // (a second Ctrl-C too: it must not end the process with the partial output left).
    const interrupted = new AbortController();
    const interrupt = () => interrupted.abort();
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    try {
      await predict(opts, interrupted.signal);
      return 0;
    } catch (err) {
      if (interrupted.signal.aborted) {
        process.stderr.write(`fleet predict: interrupted; ${opts.output} was not written\n`);
        return 130;
      }
      const code = isFleetError(err) ? ` [${err.code}]` : '';
      process.stderr.write(`fleet predict: ${(err as Error).message}${code}\n`);
      return 1;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  },
};

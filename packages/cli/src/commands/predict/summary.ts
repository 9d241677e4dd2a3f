import type { RideModel } from '@fleet/scoring';
import type { Options } from './options.js';
import type { Stats } from './score-file.js';

/**
 * Prints the end of a `fleet predict` run on stderr: the counts and time, then, when rows
 * had outcomes, each model's MAE and the share of rides within each prediction interval.
 */
export function summarize(opts: Options, runners: readonly RideModel[], stats: Stats, startedMs: number): void {
  const seconds = ((Date.now() - startedMs) / 1000).toFixed(1);
  process.stderr.write(
    `predict: ${stats.rows} rows, ${stats.scored} scored, ${stats.bad} bad → ${opts.output} (${seconds} s)\n`,
  );
  if (stats.withOutcome > 0) {
    const [d, c, t] = stats.absErrors.map((e) => (e / stats.withOutcome).toFixed(3));
    process.stderr.write(
      `predict: MAE against the file's actual outcomes (${stats.withOutcome} rides): ` +
        `duration ${d} min, cost ${c} USD, tip ${t} USD` +
        ` (versions ${runners.map((r) => `${r.name} ${r.version}`).join(', ')})\n`,
    );
    const coverage = runners.flatMap((r, i) => {
      const interval = r.card.onnx.interval;
      if (!interval) return [];
      const nominal = Math.round((interval.upper.quantile - interval.lower.quantile) * 100);
      return [`${r.name} ${((stats.covered[i] / stats.withOutcome) * 100).toFixed(1)} % (nominal ${nominal} %)`];
    });
    if (coverage.length > 0) {
      process.stderr.write(`predict: rides within the prediction interval: ${coverage.join(', ')}\n`);
    }
  }
}

import { groupLag, type GroupLag } from '@fleet/core';
import { parseCommandArgs, positiveNumber } from '../args.js';
import type { Command } from '../command.js';
import { serviceGroups, table, withAdmin } from '../ops-context.js';

const usage = `Usage: npx fleet lag [--watch] [--interval S] [--json]

Shows, per consumer group of the fleet (fleet.duration, fleet.cost, fleet.tip on
ride_started; fleet.decision on predictions; fleet.monitor on ride_started, predictions and
ride_completed) and partition: the committed offset, the end offset and the lag, with
totals per group. A partition whose records retention deleted past the commit counts from
the first record kept, where the group reads on. Each service also exports
fleet_consumer_lag_records for the partitions it owns: its read position against the high
watermark of its last batch, not these committed figures.

Options:
  --watch       refresh until Ctrl-C
  --interval S  seconds between refreshes with --watch (default 2)
  --json        print JSON (one document per refresh)
  -h, --help    this help`;

function render(lags: GroupLag[]): string {
  const rows: Array<Array<string | number>> = [];
  for (const g of lags) {
    for (const p of g.partitions) rows.push([g.group, g.topic, p.partition, p.committed ?? '-', p.end, p.lag]);
    rows.push([g.group, 'total', '', '', '', g.total]);
  }
  return table(['group', 'topic', 'partition', 'committed', 'end', 'lag'], rows);
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    watch: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    interval: { type: 'string' },
  });
  const intervalMs = positiveNumber(values.interval, 'interval', 2) * 1000;
  return withAdmin(async (admin, config) => {
    for (;;) {
      // Read on every refresh: a watch started before fleet init shows the topics once made.
      const existing = new Set(await admin.listTopics());
      const groups = serviceGroups(config).filter((g) => existing.has(g.topic));
      const lags = await Promise.all(groups.map((g) => groupLag(admin, g.group, g.topic)));
      if (values.json) console.log(JSON.stringify(lags));
      else {
        if (values.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        console.log(lags.length > 0 ? render(lags) : `no fleet topics on ${config.kafkaBrokers.join(',')} yet`);
      }
      if (!values.watch) return 0;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  });
}

/** `fleet lag`. */
export const lagCommand: Command = {
  name: 'lag',
  summary: 'committed offset, end offset and lag per group and partition',
  usage,
  run,
};

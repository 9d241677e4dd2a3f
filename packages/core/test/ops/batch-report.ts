import type { BatchReport } from '../../src/pipeline/batch-handler.js';

/** What one handled batch of one record reports, at lag 5 (offset 4 of a partition ending at 10). */
export const batchReport = (topic: string, partition: number): BatchReport => ({
  topic,
  partition,
  records: 1,
  lastOffset: '4',
  highWatermark: '10',
  deadLettered: [],
  skipped: [],
  produced: 0,
  decodeMs: 0,
  processMs: 0,
  produceMs: 0,
  consumeMs: [],
});

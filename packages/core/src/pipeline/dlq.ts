import type { FleetError } from '@fleet/contract';
import type { IncomingRecord, OutgoingRecord } from '../kafka/types.js';

/** Header names of a dead-letter record. */
export const DLQ_HEADERS = {
  errorCode: 'fleet.error.code',
  errorMessage: 'fleet.error.message',
  sourceTopic: 'fleet.source.topic',
  sourcePartition: 'fleet.source.partition',
  sourceOffset: 'fleet.source.offset',
  consumerGroup: 'fleet.consumer.group',
  failedAt: 'fleet.failed.at',
  service: 'fleet.service',
} as const;

/** Longest error message kept in a DLQ header. */
const MAX_MESSAGE_CHARS = 1000;

/** Makes text safe for a header value: no CR, LF or other control characters, bounded length. */
export function headerSafe(text: string, max = MAX_MESSAGE_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/**
 * The dead-letter record for `record`: its original key and value bytes and headers,
 * plus headers saying what failed, where the record came from, and when.
 */
export function deadLetter(
  record: IncomingRecord,
  error: FleetError,
  origin: { groupId: string; service: string },
  now = Date.now(),
): OutgoingRecord {
  const original: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (!name.startsWith('fleet.')) original[headerSafe(name, 200)] = headerSafe(value);
  }
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...original,
      [DLQ_HEADERS.errorCode]: error.code,
      [DLQ_HEADERS.errorMessage]: headerSafe(error.message),
      [DLQ_HEADERS.sourceTopic]: record.topic,
      [DLQ_HEADERS.sourcePartition]: String(record.partition),
      [DLQ_HEADERS.sourceOffset]: record.offset,
      [DLQ_HEADERS.consumerGroup]: origin.groupId,
      [DLQ_HEADERS.failedAt]: new Date(now).toISOString(),
      [DLQ_HEADERS.service]: origin.service,
    },
  };
}

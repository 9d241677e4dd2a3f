import type { FleetError } from '@fleet/contract';
import { MAX_REQUEST_BYTES, recordSize } from '../kafka/request-size.js';
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
  /** Set only when the value was cut to fit one produce request: its length before. */
  originalValueBytes: 'fleet.original.value.bytes',
  /** The same for the key. */
  originalKeyBytes: 'fleet.original.key.bytes',
  /** Set only when original headers were left out to fit one produce request: how many. */
  originalHeadersDropped: 'fleet.original.headers.dropped',
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
 * plus headers saying what failed, where the record came from, and when. A record that
 * would not fit one produce request with those headers (one just under the broker's limit,
 * or one that came compressed: dead letters are sent as they were read) is cut to fit, so
 * the DLQ never refuses it and the partition moves on; the whole record stays at its source
 * offset. Its original headers are kept, in their order, up to {@link ORIGINAL_HEADERS_MAX_BYTES}
 * (the number left out in a header), then the first bytes of its value (and key) that fit,
 * their lengths before in headers.
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
  const fleet: Record<string, string> = {
    [DLQ_HEADERS.errorCode]: error.code,
    [DLQ_HEADERS.errorMessage]: headerSafe(error.message),
    [DLQ_HEADERS.sourceTopic]: record.topic,
    [DLQ_HEADERS.sourcePartition]: String(record.partition),
    [DLQ_HEADERS.sourceOffset]: record.offset,
    [DLQ_HEADERS.consumerGroup]: headerSafe(origin.groupId),
    [DLQ_HEADERS.failedAt]: new Date(now).toISOString(),
    [DLQ_HEADERS.service]: headerSafe(origin.service),
  };
  const headers = { ...original, ...fleet };
  if (recordSize(record.key, record.value, Object.entries(headers)) <= MAX_REQUEST_BYTES) {
    return { key: record.key, value: record.value, headers };
  }
  return cutToFit(record.key, record.value, { ...boundedHeaders(original), ...fleet });
}

/**
 * Most bytes (as a record batch counts them: UTF-8, with their lengths) of the original
 * headers a dead letter that does not fit keeps. Header values are cut at 1,000 characters,
 * not bytes, and a record may carry any number of them: without a bound, its headers alone
 * could be larger than a request (MESSAGE_TOO_LARGE, refused for good).
 */
export const ORIGINAL_HEADERS_MAX_BYTES = 64 * 1024;

/** `original` in its order, without the headers that would take it past {@link ORIGINAL_HEADERS_MAX_BYTES}. */
function boundedHeaders(original: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  let bytes = 0;
  let dropped = 0;
  for (const [name, value] of Object.entries(original)) {
    const size = recordSize(null, null, [[name, value]]) - recordSize(null, null);
    if (bytes + size > ORIGINAL_HEADERS_MAX_BYTES) {
      dropped++;
      continue;
    }
    kept[name] = value;
    bytes += size;
  }
  return dropped > 0 ? { ...kept, [DLQ_HEADERS.originalHeadersDropped]: String(dropped) } : kept;
}

/** Room kept for the two length headers a cut adds. */
const CUT_HEADERS_BYTES = 100;

/**
 * The record with its value, then its key, cut to their first bytes so it fits one request.
 * `headers` are bounded (the original ones by {@link ORIGINAL_HEADERS_MAX_BYTES}, the fleet's
 * by {@link headerSafe}): far under half a request, so what is kept of key and value fits.
 */
function cutToFit(key: Buffer | null, value: Buffer | null, headers: Record<string, string>): OutgoingRecord {
  const around = recordSize(null, null, Object.entries(headers)) + CUT_HEADERS_BYTES;
  const keyBytes = key?.length ?? 0;
  const valueBytes = value?.length ?? 0;
  // A key is short but for a hostile or broken producer: kept whole up to half the room.
  const keyKept = Math.min(keyBytes, MAX_REQUEST_BYTES / 2);
  const valueKept = Math.max(0, MAX_REQUEST_BYTES - around - keyKept);
  return {
    key: key && key.length > keyKept ? key.subarray(0, keyKept) : key,
    value: value && value.length > valueKept ? value.subarray(0, valueKept) : value,
    headers: {
      ...headers,
      ...(valueBytes > valueKept && { [DLQ_HEADERS.originalValueBytes]: String(valueBytes) }),
      ...(keyBytes > keyKept && { [DLQ_HEADERS.originalKeyBytes]: String(keyBytes) }),
    },
  };
}

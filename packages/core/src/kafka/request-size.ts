/**
 * Bounds on what one produce request carries. The broker refuses a record batch larger than
 * its `message.max.bytes` (default 1 MiB, MESSAGE_TOO_LARGE), and a batch handler may send
 * more than that at once: a pipe re-producing a whole fetched batch, or a run of bad records
 * going to the DLQ with headers added. Both producer adapters split such a send into several
 * requests, sent one after the other, so each partition's records keep their order.
 */

/**
 * Most estimated bytes of records in one produce request: under the broker's default
 * `message.max.bytes` (1,048,588) less a record batch's header, with room to spare.
 */
export const MAX_REQUEST_BYTES = 1_000_000;

/**
 * Bytes of the record batch format around a record's key, value and headers, as an upper
 * bound for records under 2 MB: the length, timestamp delta, offset delta, key length and
 * value length varints (at most 3, 5, 3, 3 and 3 bytes), attributes and the header count.
 */
const RECORD_OVERHEAD_BYTES = 20;
/** The same around each header: its name and value length varints. */
const HEADER_OVERHEAD_BYTES = 6;

type Bytes = string | Buffer;

const byteLength = (b: Bytes | null | undefined): number =>
  typeof b === 'string' ? Buffer.byteLength(b) : (b?.length ?? 0);

/** Upper bound of a record's size in a record batch. */
export function recordSize(
  key: Bytes | null | undefined,
  value: Bytes | null | undefined,
  headers: Iterable<[Bytes, Bytes]> = [],
): number {
  let size = RECORD_OVERHEAD_BYTES + byteLength(key) + byteLength(value);
  for (const [name, header] of headers) size += HEADER_OVERHEAD_BYTES + byteLength(name) + byteLength(header);
  return size;
}

/**
 * `items` in order, cut into runs of at most `limit` bytes by `size` (an item larger than
 * `limit` goes alone). One run for anything that fits in one request.
 */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, limit = MAX_REQUEST_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const s = size(item);
    if (current.length > 0 && bytes + s > limit) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += s;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

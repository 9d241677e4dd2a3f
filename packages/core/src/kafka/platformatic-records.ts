import type { Message } from '@platformatic/kafka';
import type { IncomingRecord } from './types.js';

/** Record headers as the seam has them: names and values as strings, the last value of a repeated name. */
export function headerStrings(headers: Iterable<readonly [Buffer | null | undefined, Buffer | null | undefined]>) {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) if (name) out[name.toString()] = value?.toString() ?? '';
  return out;
}

/** A record the library's consumer stream delivered, as the seam's {@link IncomingRecord}. */
export function incoming(m: Message<Buffer, Buffer, Buffer, Buffer>): IncomingRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset.toString(),
    key: m.key ?? null,
    value: m.value ?? null,
    headers: headerStrings(m.headers),
    timestamp: Number(m.timestamp),
  };
}

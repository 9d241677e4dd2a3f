/**
 * Where a keyed record goes: Kafka's Java client (and kafkajs, and the platformatic seam)
 * send a key to partition `toPositive(murmur2(utf-8 bytes of the key)) % partitions`. Every
 * client of the fleet must agree, so that a ride's records meet on one partition whichever
 * client each service runs; this module is the one place it is computed.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** UTF-8 bytes of string keys are written here, so hashing a key allocates nothing. */
let scratch = Buffer.allocUnsafe(256);

/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`) of a key: of a Buffer's
 * bytes, or of a string's UTF-8 bytes. Returns the signed 32-bit hash, as Java's does.
 * kafkajs computes the same in 64-bit `Long` arithmetic and a fresh Buffer per key, which a
 * CPU profile of a saturated model service showed as a tenth of its time.
 */
export function murmur2(key: string | Buffer): number {
  let data: Buffer;
  let length: number;
  if (typeof key === 'string') {
    if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3);
    length = scratch.write(key, 0, 'utf8');
    data = scratch;
  } else {
    data = key;
    length = key.length;
  }
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last one to three bytes, as Java's switch falls through them.
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2] << 16;
  if (rest >= 2) h ^= data[whole + 1] << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a key among `partitions`, as Kafka's Java client chooses it. */
export function keyPartition(key: string | Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

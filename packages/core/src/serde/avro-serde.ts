import avro from 'avsc';
import { FleetError } from '@fleet/contract';

/** avsc's resolver of a writer schema into the reader schema (not exported by its typings). */
type Resolver = ReturnType<avro.Type['createResolver']>;
import type { Registry } from './registry.js';

/** Size of the Confluent wire-format header: magic byte 0, then the schema id (int32 BE). */
export const WIRE_HEADER_BYTES = 5;

/** Encodes and decodes one record type in the Confluent wire format. */
export interface Serde<T> {
  /** The registry id records are written with. */
  readonly schemaId: number;
  /** Avro-encodes `value` behind the wire header; throws FLEET_SERDE_ENCODE_FAILED on an invalid value. */
  encode(value: T): Buffer;
  /**
   * Decodes wire-format bytes written with any registered schema of the same record
   * (resolved to ours). Throws a non-retriable FleetError (FLEET_SERDE_*) for bytes
   * that are not ours, and a retriable FLEET_REGISTRY_* error when the registry cannot answer
   * (down, busy, refusing the service's credentials; see {@link Registry.typeById}).
   * Synchronous when the writer schema is known (always for records written with ours): a
   * promise only when it must be looked up first, so a batch does not pay a promise per
   * record. See {@link andThen}.
   */
  decode(bytes: Buffer | null): T | Promise<T>;
}

/** `f` of a value that may still be on its way: applied now when it is there, else when it comes. */
export function andThen<T, U>(value: T | Promise<T>, f: (value: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * The serde of `schema` under `subject`: its id is looked up (read only, when `fleet init`
 * registered the schemas), and the schema registered (FULL_TRANSITIVE) only when it is not there
 * yet. Writer schemas met while decoding are looked up once, then decoded from cache; the
 * serde's own schema is known from the start.
 */
export async function createSerde<T>(registry: Registry, subject: string, schema: object): Promise<Serde<T>> {
  const reader = avro.Type.forSchema(schema as avro.Schema);
  const schemaId = (await registry.lookup(subject, schema)) ?? (await registry.register(subject, schema));
  // Records are written behind the header into one scratch buffer, then copied out at their
  // size (from Node's buffer pool): one small allocation per record.
  let scratch = Buffer.allocUnsafe(4096);
  const withHeader = <B extends Buffer>(buf: B): B => {
    buf[0] = 0;
    buf.writeInt32BE(schemaId, 1);
    return buf;
  };
  withHeader(scratch);
  // Records written with our own schema need no lookup: the first of them decodes from cache.
  const resolvers = new Map<number, Resolver | null>([[schemaId, null]]);
  const recordName = (reader as avro.types.RecordType).name;
  // avsc builds its readers and writers lazily: one round trip now, so the first real record
  // does not pay for it.
  reader.fromBuffer(reader.toBuffer(reader.random()));

  /** The resolver of a writer schema not met yet (never ours, known from the start), looked up once and kept. */
  async function lookUpResolver(id: number): Promise<Resolver> {
    const writer = await registry.typeById(id);
    const writerName = (writer as avro.types.RecordType).name;
    if (writerName !== recordName) {
      throw new FleetError(
        'FLEET_SERDE_WRONG_SCHEMA',
        `record written with schema ${id} (${writerName}), expected ${recordName}`,
        {
          context: { schemaId: id },
        },
      );
    }
    let resolver: Resolver;
    try {
      resolver = reader.createResolver(writer);
    } catch (err) {
      throw new FleetError(
        'FLEET_SERDE_WRONG_SCHEMA',
        `schema ${id} cannot be read as ${recordName}: ${(err as Error).message}`,
        {
          cause: err,
          context: { schemaId: id },
        },
      );
    }
    resolvers.set(id, resolver);
    return resolver;
  }

  function read(bytes: Buffer, id: number, resolver: Resolver | null): T {
    try {
      const body = bytes.subarray(WIRE_HEADER_BYTES);
      return (resolver ? reader.fromBuffer(body, resolver) : reader.fromBuffer(body)) as T;
    } catch (err) {
      throw new FleetError(
        'FLEET_SERDE_DECODE_FAILED',
        `cannot decode ${recordName} with schema ${id}: ${(err as Error).message}`,
        {
          cause: err,
          context: { schemaId: id },
        },
      );
    }
  }

  return {
    schemaId,
    encode(value) {
      try {
        let end = reader.encode(value, scratch, WIRE_HEADER_BYTES);
        // A negative end is the bytes missing: grow the scratch buffer once and write again.
        if (end < 0) {
          scratch = withHeader(Buffer.allocUnsafe(2 * (scratch.length - end)));
          end = reader.encode(value, scratch, WIRE_HEADER_BYTES);
        }
        const out = Buffer.allocUnsafe(end);
        scratch.copy(out, 0, 0, end);
        return out;
      } catch (err) {
        throw new FleetError('FLEET_SERDE_ENCODE_FAILED', `cannot encode ${recordName}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
    decode(bytes) {
      const id = readSchemaId(bytes);
      const known = resolvers.get(id);
      if (known !== undefined) return read(bytes!, id, known);
      return lookUpResolver(id).then((resolver) => read(bytes!, id, resolver));
    },
  };
}

/** The schema id of Confluent wire-format bytes; throws FLEET_SERDE_NOT_CONFLUENT_WIRE otherwise. */
export function readSchemaId(bytes: Buffer | null): number {
  if (!bytes || bytes.length === 0) {
    throw new FleetError('FLEET_SERDE_NOT_CONFLUENT_WIRE', 'record has no value (empty or tombstone)');
  }
  if (bytes.length < WIRE_HEADER_BYTES) {
    throw new FleetError(
      'FLEET_SERDE_NOT_CONFLUENT_WIRE',
      `record of ${bytes.length} bytes is shorter than the 5-byte wire header`,
    );
  }
  if (bytes[0] !== 0) {
    throw new FleetError(
      'FLEET_SERDE_NOT_CONFLUENT_WIRE',
      `record starts with byte ${bytes[0]}, not the wire format's magic byte 0`,
    );
  }
  return bytes.readInt32BE(1);
}

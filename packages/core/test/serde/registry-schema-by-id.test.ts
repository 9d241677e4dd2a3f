import { createServer } from 'node:http';
import avro from 'avsc';
import { isFleetError, isRetriable } from '@fleet/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { createSerde } from '../../src/serde/avro-serde.js';
import { createRegistry } from '../../src/serde/registry.js';

/** One answer of the stub: HTTP status and JSON body. */
type Answer = [status: number, body: object];

/**
 * A Confluent-compatible registry that answers `GET /schemas/ids/{id}` from `answers` (one
 * answer per call, the last one repeated; 404 for an id not there), any other call with
 * `other` (a subject lookup: id 1), and counts the calls by id.
 */
async function stubRegistry(
  answers: Record<number, Answer[]>,
  other: Answer = [200, { subject: 'rides-value', id: 1, version: 1, schema: '"string"' }],
): Promise<{ url: string; calls: (id: number) => number; close(): void }> {
  const calls = new Map<number, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const byId = /^\/schemas\/ids\/(-?\d+)/.exec(req.url ?? '');
      let answer = other;
      if (byId) {
        const id = Number(byId[1]);
        const n = calls.get(id) ?? 0;
        calls.set(id, n + 1);
        const script = answers[id] ?? [notFound];
        answer = script[Math.min(n, script.length - 1)];
      }
      res.writeHead(answer[0], { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(answer[1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls: (id) => calls.get(id) ?? 0,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const rideSchema = { type: 'record', name: 'Ride', fields: [{ name: 'ride_id', type: 'string' }] };
const avroAnswer: Answer = [200, { schema: JSON.stringify(rideSchema) }];
const notFound: Answer = [404, { error_code: 40403, message: 'Schema not found' }];

/** A ride in the wire format, written with schema `id`. */
function rideWrittenWith(id: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, avro.Type.forSchema(rideSchema as avro.Schema).toBuffer({ ride_id: 'r-1' })]);
}

/** What `work` rejected with (or threw). */
async function failure(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

let stub: Awaited<ReturnType<typeof stubRegistry>> | undefined;
afterEach(() => stub?.close());

// Regression: the registry client compiles the writer's schema itself, and threw its argument
// error (no HTTP status) for one it cannot compile, which was classified
// FLEET_REGISTRY_UNAVAILABLE: retriable, so the batch was fetched again for ever and the
// partition never moved.
describe('a writer schema the registry returns but nothing can compile', () => {
  it.each([
    [
      'a draft-07 JSON Schema with "format": "date-time"',
      {
        schemaType: 'JSON',
        schema:
          '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"t":{"type":"string","format":"date-time"}}}',
      },
    ],
    [
      'a 2020-12 JSON Schema',
      { schemaType: 'JSON', schema: '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}' },
    ],
    ['a JSON Schema with an unknown keyword', { schemaType: 'JSON', schema: '{"type":"object","javaType":"a.B"}' }],
    ['an artifact type the client does not know', { schemaType: 'XML', schema: '<ride/>' }],
    [
      'an Avro schema avsc refuses',
      { schema: '{"type":"record","name":"Ride","fields":[{"name":"ride_id","type":"no_such_type"}]}' },
    ],
  ])('dead-letters the record (FLEET_SERDE_WRONG_SCHEMA) for %s', async (_what, body) => {
    stub = await stubRegistry({ 2: [[200, body]] });
    const serde = await createSerde(createRegistry({ url: stub.url }), 'rides-value', rideSchema);
    const err = await failure(() => serde.decode(rideWrittenWith(2)));
    expect(isFleetError(err, 'FLEET_SERDE_WRONG_SCHEMA')).toBe(true);
    expect(isRetriable(err)).toBe(false);
    // Remembered like an unknown id: the next record of that id makes no HTTP call.
    expect(isFleetError(await failure(() => serde.decode(rideWrittenWith(2))), 'FLEET_SERDE_WRONG_SCHEMA')).toBe(true);
    expect(stub.calls(2)).toBe(1);
  });
});

// Regression: on a lookup by id every 4xx but 404 was FLEET_REGISTRY_REJECTED (not
// retriable), so a registry that throttled (429), timed out (408) or refused the service's
// credentials (401, 403) dead-lettered every record of the id while the records were fine.
describe('a registry at fault on a lookup by id', () => {
  it.each([408, 429])('is FLEET_REGISTRY_UNAVAILABLE (retriable) on HTTP %i, sent again first', async (status) => {
    stub = await stubRegistry({ 2: [[status, { error_code: status, message: 'busy' }]] });
    const registry = createRegistry({ url: stub.url });
    const err = await failure(() => registry.typeById(2));
    expect(isFleetError(err, 'FLEET_REGISTRY_UNAVAILABLE')).toBe(true);
    expect(isRetriable(err)).toBe(true);
    expect(stub.calls(2)).toBe(3);
  });

  it.each([401, 403])('is retriable on HTTP %i, and asked again on the next record', async (status) => {
    stub = await stubRegistry({ 2: [[status, { error_code: status, message: 'refused' }], avroAnswer] });
    const registry = createRegistry({ url: stub.url });
    const err = await failure(() => registry.typeById(2));
    expect(isFleetError(err, 'FLEET_REGISTRY_REJECTED')).toBe(true);
    expect(isRetriable(err)).toBe(true);
    expect((err as Error).message).toMatch(/SCHEMA_REGISTRY_USERNAME/);
    await expect(registry.typeById(2)).resolves.toBeDefined();
  });

  it('stays a rejection (not retriable) when a service looks up its own schema at start', async () => {
    stub = await stubRegistry({}, [401, { error_code: 401, message: 'Unauthorized' }]);
    const err = await failure(() => createRegistry({ url: stub!.url }).lookup('rides-value', rideSchema));
    expect(isFleetError(err, 'FLEET_REGISTRY_REJECTED')).toBe(true);
    expect(isRetriable(err)).toBe(false);
  });
});

// Regression: a 404 for an id registered a moment ago on another replica (one that has not
// caught up yet) dead-lettered the producer's first records.
describe('a schema id the registry does not know yet', () => {
  it('is looked up again a few times within about a second', async () => {
    stub = await stubRegistry({ 2: [notFound, notFound, avroAnswer] });
    const registry = createRegistry({ url: stub.url });
    const started = performance.now();
    await expect(registry.typeById(2)).resolves.toBeDefined();
    expect(stub.calls(2)).toBe(3);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('is FLEET_SERDE_UNKNOWN_SCHEMA after its attempts, and remembered', async () => {
    stub = await stubRegistry({ 2: [notFound] });
    const registry = createRegistry({ url: stub.url });
    const err = await failure(() => registry.typeById(2));
    expect(isFleetError(err, 'FLEET_SERDE_UNKNOWN_SCHEMA')).toBe(true);
    expect(stub.calls(2)).toBe(3);
    await expect(registry.typeById(2)).rejects.toSatisfy((e) => isFleetError(e, 'FLEET_SERDE_UNKNOWN_SCHEMA'));
    expect(stub.calls(2)).toBe(3);
  });

  it('is not waited for when a flood of made-up ids spent the waits of the minute', async () => {
    stub = await stubRegistry({});
    const registry = createRegistry({ url: stub.url });
    const ids = Array.from({ length: 10 }, (_, i) => 100 + i);
    for (const id of ids) await failure(() => registry.typeById(id));
    const calls = ids.map((id) => stub!.calls(id));
    expect(calls[0]).toBe(3);
    expect(calls.slice(-4)).toEqual([1, 1, 1, 1]);
  });
});

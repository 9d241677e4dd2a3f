import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { FleetError, loadSchema } from '@fleet/contract';
import {
  createLogger,
  type BatchControl,
  type ConsumerOptions,
  type IncomingRecord,
  type KafkaClient,
  type RecordBatch,
  type Registry,
} from '@fleet/core';
import { createDecisionListener, type ReceivedDecision } from '../src/decisions.js';
import { oneEmptyPartitionAdmin } from './stand-ins.js';

type Handler = (batch: RecordBatch, control: BatchControl) => Promise<void>;

/** A Kafka stand-in whose consumer joins at once and hands its batch handler to the test. */
function kafkaHandingOver(): { kafka: KafkaClient; handler: () => Handler } {
  let handler: Handler | undefined;
  const kafka = {
    admin: oneEmptyPartitionAdmin,
    consumer: (options: ConsumerOptions) =>
      Promise.resolve({
        run: (_topics: string[], h: Handler) => {
          handler = h;
          options.onGroupJoin?.({ decisions: [0] }, 'm1');
          return Promise.resolve();
        },
        stop: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
      }),
  } as unknown as KafkaClient;
  return { kafka, handler: () => handler! };
}

const decisionType = avro.Type.forSchema(loadSchema('ride_decision') as avro.Schema);

/**
 * A registry stand-in: the listener's own schema is id 1, the decisions are written with
 * id 2, whose lookup first fails with `firstFailure`.
 */
function registryFailingOnce(firstFailure: FleetError): Registry {
  let lookups = 0;
  return {
    register: () => Promise.reject(new Error('not expected: the schema is registered')),
    lookup: () => Promise.resolve(1),
    typeById: () => (lookups++ === 0 ? Promise.reject(firstFailure) : Promise.resolve(decisionType)),
  };
}

/** A decision of `rideId` as a record of the decisions topic, written with schema id 2. */
function decisionRecord(rideId: string, offset: string): IncomingRecord {
  const header = Buffer.from([0, 0, 0, 0, 2]);
  const value = { ...(decisionType.random() as object), ride_id: rideId };
  return {
    topic: 'decisions',
    partition: 0,
    offset,
    key: Buffer.from(rideId),
    value: Buffer.concat([header, decisionType.toBuffer(value)]),
    headers: {},
    timestamp: Date.now(),
  };
}

async function listenerWith(registry: Registry) {
  const { kafka, handler } = kafkaHandingOver();
  const received: ReceivedDecision[] = [];
  const listener = await createDecisionListener({
    kafka,
    registry,
    topic: 'decisions',
    logger: createLogger({ service: 'test', level: 'silent' }),
    onDecision: (d) => received.push(d),
    groupId: 'g',
  });
  await listener.start();
  const commits: string[] = [];
  const control: BatchControl = {
    heartbeat: () => Promise.resolve(),
    isStale: () => false,
    commit: (offset) => (commits.push(offset), Promise.resolve()),
  };
  const batch: RecordBatch = {
    topic: 'decisions',
    partition: 0,
    records: [decisionRecord('r-1', '0'), decisionRecord('r-2', '1')],
    highWatermark: '2',
  };
  return { handle: () => handler()(batch, control), received, commits };
}

// Regression: the listener skipped a decision on any error of its decoding, a registry that
// was unavailable for a moment included: every decision of the batch was lost for good.
describe('the decision listener meeting a registry failure', () => {
  it('fails the batch (read again) on a retriable one, and hands every decision over once', async () => {
    const down = new FleetError('FLEET_REGISTRY_UNAVAILABLE', 'schema registry unavailable');
    const { handle, received, commits } = await listenerWith(registryFailingOnce(down));
    await expect(handle()).rejects.toBe(down);
    expect(received).toEqual([]);
    expect(commits).toEqual([]);
    await handle();
    expect(received.map((d) => d.ride_id)).toEqual(['r-1', 'r-2']);
    expect(commits).toEqual(['1']);
  });

  it('skips the records on a failure that no retry mends', async () => {
    const unknown = new FleetError('FLEET_SERDE_UNKNOWN_SCHEMA', 'no such schema');
    const { handle, received, commits } = await listenerWith(registryFailingOnce(unknown));
    await handle();
    // The first record met the unknown id; the second one's lookup found the schema.
    expect(received.map((d) => d.ride_id)).toEqual(['r-2']);
    expect(commits).toEqual(['1']);
  });
});

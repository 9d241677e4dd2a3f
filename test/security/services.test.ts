import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_GROUP_PREFIX, isFleetError } from '@fleet/contract';
import { createKafkaClient, kafkaConnection, type KafkaClient } from '@fleet/core';
import { createModelProcess } from '@fleet/scoring';
import { randomName, testLogger } from '../helpers.js';
import { testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';
import { configAs, SECURE_STACK_MS, secureStack, unknownCa, type SecureStack } from './secure-stack.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Runs a service's main as its own process; resolves to what it printed and its exit code. */
function runService(service: string, env: Record<string, string>) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `packages/${service}/src/main.ts`], {
    cwd: ROOT,
    env: { ...process.env, METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    encoding: 'utf8',
    timeout: WORK_ALLOWANCE_MS,
  });
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.trim());
  const fatal = lines.filter((l) => l.includes('"level":"fatal"') || l.includes('"level":60'));
  return { status: run.status, output: lines.join('\n'), lines, fatal };
}

/** The seam's client as `user` on the secure broker. */
function kafkaAs(secure: SecureStack, user: string): KafkaClient {
  return createKafkaClient(kafkaConnection(configAs(secure, user), user), testLogger());
}

/** What a promise rejects with (fails the test if it resolves). */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  if (!result) throw new Error('expected a refusal, but the broker allowed it');
  return result;
}

describe("the fleet's own services and clients on the secure broker", () => {
  let secure: SecureStack;

  beforeAll(async () => {
    secure = await secureStack();
  }, testTimeoutMs(SECURE_STACK_MS));

  it(
    'a wrong password ends a service with one fatal line naming the variable, never the secret',
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    () => {
      const wrong = `wrong-${'x'.repeat(12)}-password`;
      const run = runService('duration', { ...secure.env('duration'), KAFKA_SASL_PASSWORD: wrong });
      expect(run.status).toBe(1);
      expect(run.fatal).toHaveLength(1);
      const line = JSON.parse(run.fatal[0]) as { code: string; msg: string };
      expect(line.code).toBe('FLEET_KAFKA_AUTH_FAILED');
      expect(line.msg).toContain('KAFKA_SASL_PASSWORD');
      expect(line.msg).toContain('"duration"');
      expect(run.output.includes(wrong), 'the wrong password printed').toBe(false);
      // Compared, never shown: a failed assertion would print the secret it looked for.
      expect(run.output.includes(secure.password('duration')), 'the real password printed').toBe(false);
    },
  );

  it(
    "a model service in another service's group stops at start with one fatal line, not in a loop",
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    () => {
      const run = runService('tip', { ...secure.env('tip'), GROUP_ID: 'fleet.duration' });
      expect(run.status).toBe(1);
      expect(run.fatal).toHaveLength(1);
      const line = JSON.parse(run.fatal[0]) as { code: string; msg: string };
      expect(line.code).toBe('FLEET_KAFKA_NOT_AUTHORIZED');
      expect(line.msg).toMatch(/user "tip" is not authorized to .*fleet\.duration.*GROUP_AUTHORIZATION_FAILED/);
      expect(run.output).not.toMatch(/re-creating the consumer/);
    },
  );

  it(
    "a model service's consumer is not re-created when its group is refused",
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    async () => {
      const made: string[] = [];
      const proc = await createModelProcess(
        { model: 'duration' },
        {
          logger: testLogger(),
          env: { ...secure.env('duration'), GROUP_ID: 'fleet.cost' },
          kafka: (real) => ({
            ...real,
            producer: () => (made.push('producer'), real.producer()),
            consumer: (options) => (made.push('consumer'), real.consumer(options)),
          }),
        },
      );
      try {
        const err = await refusal(proc.service.start());
        expect(isFleetError(err, 'FLEET_KAFKA_NOT_AUTHORIZED')).toBe(true);
        expect(err.message).toContain('consumer group fleet.cost');
        expect(await refusal(proc.service.failed)).toBe(err);
        expect(proc.service.live).toBe(false);
        expect(made.sort()).toEqual(['consumer', 'producer']);
      } finally {
        await proc.stop();
      }
    },
  );

  it('tip cannot write ride_decisions: a clear error from the producer', async () => {
    const producer = await kafkaAs(secure, 'tip').producer();
    try {
      const err = await refusal(producer.send([{ topic: 'ride_decisions', records: [{ key: 'x', value: null }] }]));
      expect(isFleetError(err, 'FLEET_KAFKA_NOT_AUTHORIZED')).toBe(true);
      expect(err.message).toMatch(
        /user "tip" is not authorized to write to ride_decisions \(TOPIC_AUTHORIZATION_FAILED\)/,
      );
    } finally {
      await producer.disconnect();
    }
  });

  it('the backend cannot read predictions: its consumer is refused', async () => {
    const consumer = await kafkaAs(secure, 'backend').consumer({
      groupId: `${BACKEND_GROUP_PREFIX}${randomName('t')}`,
    });
    try {
      const err = await refusal(consumer.run(['predictions'], async () => undefined));
      expect(isFleetError(err, 'FLEET_KAFKA_NOT_AUTHORIZED')).toBe(true);
      expect(err.message).toMatch(/user "backend" is not authorized to read predictions .*TOPIC_AUTHORIZATION_FAILED/);
    } finally {
      await consumer.disconnect();
    }
  });

  it('a model service cannot delete topics', async () => {
    const admin = await kafkaAs(secure, 'cost').admin();
    try {
      const err = await refusal(admin.deleteTopics(['predictions']));
      expect(isFleetError(err, 'FLEET_KAFKA_NOT_AUTHORIZED')).toBe(true);
      // kafkajs names the call ("call deleteTopics(predictions)"), @platformatic/kafka the act.
      expect(err.message).toMatch(/user "cost" is not authorized to .*delete.*\bpredictions\b/i);
    } finally {
      await admin.disconnect();
    }
  });

  it('a client that does not trust the CA of the broker stops with an error naming KAFKA_SSL_CA_FILE', async () => {
    const connection = { ...kafkaConnection(configAs(secure, 'tip'), 'tip'), ssl: { ca: unknownCa().ca }, retries: 0 };
    const err = await refusal(createKafkaClient(connection, testLogger()).admin());
    expect(isFleetError(err, 'FLEET_KAFKA_AUTH_FAILED')).toBe(true);
    expect(err.message).toContain('KAFKA_SSL_CA_FILE');
  });
});

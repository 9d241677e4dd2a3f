/**
 * What each principal must not do, tried with a client that is not the project's (plain
 * kafkajs, configured by hand) and that principal's own credentials: the broker refuses
 * every attempt with an authorization error after authenticating it, and its authorizer
 * log names the principal, the operation and the resource.
 */
import { readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import kafkajs from 'kafkajs';
import { createLogger, loadConfig } from '@fleet/core';
import { aclLine, cliEnv, fleetAclBindings, initCluster } from '@fleet/cli';
import { securePaths, loadInfraConfig } from '@fleet/infra';
import { eventually, randomName } from '../helpers.js';
import { testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';
import {
  foreignAs,
  SECURE_STACK_MS,
  secureStack,
  SECURE_PARTITIONS,
  type ForeignLog,
  type SecureStack,
} from './secure-stack.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
/** `FLEET_GROUP_PREFIX` unset: the groups the services' defaults and the refusals below use. */
const GROUP_PREFIX = 'fleet';
const TOPICS = {
  rides: 'ride_started',
  predictions: 'predictions',
  decisions: 'ride_decisions',
  completed: 'ride_completed',
  health: 'model_health',
};

/** The broker's error types an attempt met: thrown (with causes), or logged by the client (a coordinator lookup). */
async function refusedWith(attempt: () => Promise<unknown>, logs: ForeignLog[]): Promise<string[]> {
  const types = new Set<string>();
  try {
    await attempt();
  } catch (err) {
    const walk = (e: { type?: string; cause?: unknown; errors?: unknown } | undefined): void => {
      if (!e) return;
      if (e.type) types.add(e.type);
      // kafkajs gathers per-topic errors of a CreateTopics answer in an aggregate.
      if (Array.isArray(e.errors)) for (const inner of e.errors) walk(inner as typeof e);
      walk(e.cause as typeof e);
    };
    walk(err as Parameters<typeof walk>[0]);
  }
  for (const entry of logs) {
    const error = String((entry as { error?: unknown }).error ?? '');
    if (/Group authorization failed/.test(error)) types.add('GROUP_AUTHORIZATION_FAILED');
  }
  return [...types];
}

type Try = (kafka: Kafka) => Promise<unknown>;

const write =
  (topic: string): Try =>
  async (kafka) => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'forged', value: 'forged' }] });
    } finally {
      await producer.disconnect();
    }
  };

const read =
  (topic: string, groupId: string): Try =>
  async (kafka) => {
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
    } finally {
      await consumer.disconnect();
    }
  };

const withAdmin =
  <T>(call: (admin: ReturnType<Kafka['admin']>) => Promise<T>) =>
  async (kafka: Kafka): Promise<T> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await call(admin);
    } finally {
      await admin.disconnect();
    }
  };

const deleteTopic = (topic: string) => withAdmin((a) => a.deleteTopics({ topics: [topic], timeout: 5000 }));
const createTopic = (topic: string) => withAdmin((a) => a.createTopics({ topics: [{ topic }] }));
const deleteGroup = (group: string) => withAdmin((a) => a.deleteGroups([group]));
const grantItself = (user: string, topic: string) =>
  withAdmin((a) =>
    a.createAcls({
      acl: [
        {
          principal: `User:${user}`,
          host: '*',
          resourceType: AclResourceTypes.TOPIC,
          resourceName: topic,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          operation: AclOperationTypes.WRITE,
          permissionType: AclPermissionTypes.ALLOW,
        },
      ],
    }),
  );

/** [principal, what it must not do, the attempt, the broker's answer]. */
const REFUSALS: Array<[string, string, Try, string]> = [
  ['tip', 'write ride_decisions', write(TOPICS.decisions), 'TOPIC_AUTHORIZATION_FAILED'],
  ['tip', 'read ride_decisions', read(TOPICS.decisions, 'fleet.tip'), 'TOPIC_AUTHORIZATION_FAILED'],
  ['duration', "read in cost's group", read(TOPICS.rides, 'fleet.cost'), 'GROUP_AUTHORIZATION_FAILED'],
  ['cost', "read in tip's group", read(TOPICS.rides, 'fleet.tip'), 'GROUP_AUTHORIZATION_FAILED'],
  ['tip', "read in the decision's group", read(TOPICS.rides, 'fleet.decision'), 'GROUP_AUTHORIZATION_FAILED'],
  ['duration', 'delete ride_started', deleteTopic(TOPICS.rides), 'TOPIC_AUTHORIZATION_FAILED'],
  ['cost', 'delete predictions', deleteTopic(TOPICS.predictions), 'TOPIC_AUTHORIZATION_FAILED'],
  ['tip', 'create a topic', createTopic(randomName('forbidden')), 'TOPIC_AUTHORIZATION_FAILED'],
  ['duration', 'forge rides on ride_started', write(TOPICS.rides), 'TOPIC_AUTHORIZATION_FAILED'],
  ['tip', 'grant itself WRITE on ride_decisions', grantItself('tip', TOPICS.decisions), 'CLUSTER_AUTHORIZATION_FAILED'],
  ['decision', 'forge predictions', write(TOPICS.predictions), 'TOPIC_AUTHORIZATION_FAILED'],
  ['decision', 'read ride_started', read(TOPICS.rides, 'fleet.decision'), 'TOPIC_AUTHORIZATION_FAILED'],
  ['decision', "delete duration's group", deleteGroup('fleet.duration'), 'GROUP_AUTHORIZATION_FAILED'],
  ['decision', 'delete ride_decisions', deleteTopic(TOPICS.decisions), 'TOPIC_AUTHORIZATION_FAILED'],
  ['backend', 'read predictions', read(TOPICS.predictions, 'fleet.backend.t'), 'TOPIC_AUTHORIZATION_FAILED'],
  ['backend', 'forge decisions', write(TOPICS.decisions), 'TOPIC_AUTHORIZATION_FAILED'],
  ['backend', "read in the decision's group", read(TOPICS.decisions, 'fleet.decision'), 'GROUP_AUTHORIZATION_FAILED'],
  [
    'monitor',
    'read ride_decisions (not among its ACLs)',
    read(TOPICS.decisions, 'fleet.monitor'),
    'TOPIC_AUTHORIZATION_FAILED',
  ],
  ['online', 'write ride_started (no ACL at all)', write(TOPICS.rides), 'TOPIC_AUTHORIZATION_FAILED'],
];

describe('ACLs on the secure broker', () => {
  let secure: SecureStack;

  beforeAll(async () => {
    secure = await secureStack();
  }, testTimeoutMs(SECURE_STACK_MS));

  it(
    "are exactly the source's after `fleet init --secure --acls --prune`, which names no secret",
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    async () => {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'packages/cli/src/main.ts', 'init', '--secure', '--acls', '--prune'],
        {
          cwd: new URL('../../', import.meta.url).pathname,
          env: { ...process.env, SCHEMA_REGISTRY_URL: secure.registryUrl, TOPIC_PARTITIONS: String(SECURE_PARTITIONS) },
          encoding: 'utf8',
          timeout: WORK_ALLOWANCE_MS,
        },
      );
      expect(run.status, run.stderr).toBe(0);
      const want = fleetAclBindings(TOPICS, GROUP_PREFIX);
      expect(run.stdout).toContain(`ACLs of the fleet's principals: ${want.length}`);
      for (const user of ['admin', 'tip'])
        expect(`${run.stdout}${run.stderr}`.includes(secure.password(user)), `${user}'s password printed`).toBe(false);

      const { kafka } = foreignAs(secure, 'admin');
      const listed: string[] = [];
      await withAdmin(async (a) => {
        const { resources } = await a.describeAcls({
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.ANY,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        });
        const name = (values: Record<string, unknown>, v: number) => Object.keys(values).find((k) => values[k] === v);
        for (const r of resources)
          for (const acl of r.acls)
            listed.push(
              `${acl.principal} ${name(AclPermissionTypes, acl.permissionType)} ${name(AclOperationTypes, acl.operation)} ` +
                `${name(AclResourceTypes, r.resourceType)}:${name(ResourcePatternTypes, r.resourcePatternType)}:${r.resourceName}`,
            );
      })(kafka);
      expect(listed.sort()).toEqual(want.map(aclLine).sort());
    },
  );

  it('lose a grant added by hand to a fleet principal when init --prune applies them again', async () => {
    const stray = randomName('stray');
    await grantItself('tip', stray)(foreignAs(secure, 'admin').kafka);
    const changes = await initCluster({
      config: loadConfig(cliEnv, { ...process.env, ...secure.env('admin') }),
      partitions: SECURE_PARTITIONS,
      acls: true,
      prune: true,
      logger: createLogger({ service: 'test-init', level: 'error' }),
      print: () => undefined,
    });
    expect(changes?.created).toEqual([]);
    // Deleted by this call, or by another test file's set-up running init at the same moment.
    const listed = await withAdmin((a) =>
      a.describeAcls({
        resourceType: AclResourceTypes.TOPIC,
        resourceName: stray,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      }),
    )(foreignAs(secure, 'admin').kafka);
    expect(listed.resources).toEqual([]);
  });

  it('let each principal do what its service needs (positive controls)', async () => {
    const offsets = (topic: string) => withAdmin((a) => a.fetchTopicOffsets(topic));
    for (const [user, topic] of [
      ['tip', TOPICS.predictions],
      ['duration', TOPICS.rides],
      ['decision', TOPICS.decisions],
      ['backend', TOPICS.decisions],
      // Each service may write the dead-letter topic of what it consumes.
      ['duration', `${TOPICS.rides}.dlq`],
      ['decision', `${TOPICS.predictions}.dlq`],
      ['monitor', `${TOPICS.completed}.dlq`],
    ]) {
      const partitions = await offsets(topic)(foreignAs(secure, user).kafka);
      expect(partitions.length, `${user} on ${topic}`).toBeGreaterThan(0);
    }
  });

  it.each(REFUSALS.map(([user, what, attempt, answer]) => [`${user} cannot ${what}`, user, attempt, answer] as const))(
    '%s',
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    async (_, user, attempt, answer) => {
      const log = securePaths(loadInfraConfig()).logFile;
      const logged = statSync(log).size;
      const { kafka, logs } = foreignAs(secure, user);
      expect(await refusedWith(() => attempt(kafka), logs)).toContain(answer);
      // The broker authenticated the user (no SASL error) and refused the request itself.
      expect(logs.some((l) => /authentication failed/i.test(JSON.stringify(l)))).toBe(false);
      await eventually(
        () => readFileSync(log).subarray(logged).toString('utf8').includes(`Principal = User:${user} is Denied`),
        `the broker's authorizer log line for User:${user}`,
        WORK_ALLOWANCE_MS,
      );
    },
  );
});

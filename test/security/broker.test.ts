import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { ensureSecureBroker, loadInfraConfig, readCredentials, securePaths } from '@fleet/infra';
import { randomName } from '../helpers.js';
import { testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';
import { foreignAs, foreignClient, SECURE_STACK_MS, secureStack, unknownCa, type SecureStack } from './secure-stack.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function fleet(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: WORK_ALLOWANCE_MS,
  });
}

/** What connecting an admin client gives: undefined when it connected, else the error's names and messages. */
async function connectAdmin(kafka: Kafka): Promise<string | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return undefined;
  } catch (err) {
    const seen: string[] = [];
    for (let e = err as { name?: string; message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
      seen.push(`${e.name}: ${e.message}`);
    return seen.join(' <- ');
  } finally {
    await admin.disconnect();
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the secure broker', () => {
  let secure: SecureStack;

  beforeAll(async () => {
    secure = await secureStack();
  }, testTimeoutMs(SECURE_STACK_MS));

  it(
    'is found running by a second start, and by `fleet infra up|status --secure`',
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS, WORK_ALLOWANCE_MS) },
    async () => {
      expect((await ensureSecureBroker()).started).toBe(false);
      const up = fleet('infra', 'up', '--secure');
      expect(up.status, up.stderr).toBe(0);
      expect(up.stderr).toContain('already running');
      expect(up.stdout).toContain(`KAFKA_BROKERS=${secure.brokers}`);
      expect(up.stdout).toContain(`KAFKA_SSL_CA_FILE=${secure.caFile}`);
      const status = fleet('infra', 'status', '--secure');
      expect(status.status).toBe(0);
      expect(status.stdout).toMatch(/kafka-secure .* SASL_SSL 127\.0\.0\.1:\d+ +answering +pid \d+/);
      for (const user of Object.keys(readCredentials(secure.credentialsFile).users))
        expect(
          `${up.stdout}${up.stderr}${status.stdout}`.includes(secure.password(user)),
          `${user}'s password printed`,
        ).toBe(false);
    },
  );

  it('keeps its keys and passwords owner-only, out of its log and out of git', () => {
    const paths = securePaths(loadInfraConfig());
    for (const dir of [paths.dir, paths.tlsDir, paths.dataDir]) expect(mode(dir), dir).toBe(0o700);
    const secrets = [paths.credentialsFile, paths.propsFile, paths.caFile, join(paths.tlsDir, 'ca.key')];
    for (const file of [...secrets, join(paths.tlsDir, 'broker.pem')]) expect(mode(file), file).toBe(0o600);
    const log = readFileSync(paths.logFile, 'utf8');
    for (const [user, password] of Object.entries(readCredentials(paths.credentialsFile).users))
      expect(log.includes(password), `${user}'s password in ${paths.logFile}`).toBe(false);
    for (const file of secrets) {
      const ignored = spawnSync('git', ['check-ignore', '-q', file], { cwd: ROOT });
      expect(ignored.status, `${file} is ignored by git`).toBe(0);
    }
  });

  it('refuses a plaintext client on its SASL_SSL listener, and SASL without TLS', async () => {
    const plain = await connectAdmin(foreignClient({ brokers: [secure.brokers] }).kafka);
    expect(plain).toMatch(/Closed connection|disconnected|ECONNRESET/i);
    const noTls = foreignClient({
      brokers: [secure.brokers],
      sasl: { mechanism: 'scram-sha-512', username: 'tip', password: secure.password('tip') },
    });
    expect(await connectAdmin(noTls.kafka)).toMatch(/Closed connection|disconnected|ECONNRESET/i);
    // The same user over TLS gets in: the refusals above are the listener's, not the account's.
    expect(await connectAdmin(foreignAs(secure, 'tip').kafka)).toBeUndefined();
  });

  it('refuses a wrong password and an unknown user', async () => {
    const wrong = await connectAdmin(foreignAs(secure, 'tip', 'not-the-password').kafka);
    expect(wrong).toMatch(/KafkaJSSASLAuthenticationError: SASL SCRAM SHA512 authentication failed/);
    const unknown = await connectAdmin(foreignAs(secure, 'mallory', 'whatever').kafka);
    expect(unknown).toMatch(/KafkaJSSASLAuthenticationError/);
  });

  it('is not trusted by a client that does not know its CA', async () => {
    const client = foreignClient({
      brokers: [secure.brokers],
      ssl: { ca: [unknownCa().ca] },
      sasl: { mechanism: 'scram-sha-512', username: 'tip', password: secure.password('tip') },
    });
    expect(await connectAdmin(client.kafka)).toMatch(/unable to verify|self.signed|certificate/i);
  });

  it('refuses a certificate from an unknown CA on its controller listener, and a client without one', async () => {
    const config = loadInfraConfig();
    const controller = [`${config.host}:${config.secureControllerPort}`];
    const rogue = unknownCa();
    const impostor = foreignClient({ brokers: controller, ssl: { ca: [secure.ca], key: rogue.key, cert: rogue.cert } });
    expect(await connectAdmin(impostor.kafka)).toMatch(/certificate unknown|bad certificate|alert/i);
    const anonymous = foreignClient({ brokers: controller, ssl: { ca: [secure.ca] } });
    expect(await connectAdmin(anonymous.kafka)).toMatch(/certificate|alert/i);
    const plain = foreignClient({ brokers: controller });
    expect(await connectAdmin(plain.kafka)).toBeDefined();
  });

  it('denies by default: a topic without ACLs is closed to every service principal', async () => {
    const topic = randomName('no-acl');
    const admin = foreignAs(secure, 'admin').kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      for (const user of ['duration', 'decision', 'backend', 'monitor']) {
        const producer = foreignAs(secure, user).kafka.producer();
        await producer.connect();
        const sent = await producer.send({ topic, messages: [{ value: 'x' }] }).then(
          () => 'allowed',
          (err: { type?: string; cause?: { type?: string } }) => err.type ?? err.cause?.type,
        );
        await producer.disconnect();
        expect(sent, user).toBe('TOPIC_AUTHORIZATION_FAILED');
      }
    } finally {
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });
});

/**
 * The secure broker of the security tests: started (or found running) by the first test
 * file that needs it, with `infra/`'s own start-up (locked, idempotent), then prepared the
 * way `npx fleet init --secure --acls --prune` prepares it: topics, schemas (registered here, so
 * services only read the registry) and exactly the fleet's ACLs. Each file calls
 * {@link secureStack} in its `beforeAll`; `setup/global-setup.ts` stops the broker after the
 * run when this run started it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PRINCIPAL } from '@fleet/contract';
import { createLogger, loadConfig, type CommonConfig } from '@fleet/core';
import { cliEnv, initCluster } from '@fleet/cli';
import { ensureSecureBroker, secureClientEnv, type SecureEndpoints } from '@fleet/infra';
import kafkajs, { type Kafka, type KafkaConfig, type LogEntry } from 'kafkajs';
import { stack } from '../helpers.js';
import { WORK_ALLOWANCE_MS } from '../timing.js';

/** Partitions of the fleet topics on the secure broker (created once, kept between runs). */
export const SECURE_PARTITIONS = 3;

/**
 * How long {@link secureStack} may take: infra's own bound for a starting broker to answer
 * (`ensureSecureBroker` waits that long), then topics, schemas and ACLs (one work allowance).
 */
export const SECURE_STACK_MS = 120_000 + WORK_ALLOWANCE_MS;

/** What the tests know of the running secure broker. */
export interface SecureStack extends SecureEndpoints {
  /** The CA certificate, PEM. */
  readonly ca: string;
  /** The plain stack's registry, which the secure broker's fleet uses too. */
  readonly registryUrl: string;
  /** The fleet's variables to reach the secure broker as `user` (its password included). */
  env(user: string): Record<string, string>;
  /** `user`'s password, from the 0600 credentials file. */
  password(user: string): string;
}

let ready: Promise<SecureStack> | undefined;

/** Starts or finds the secure broker and applies topics, schemas and ACLs once per test file. */
export function secureStack(): Promise<SecureStack> {
  ready ??= prepare();
  return ready;
}

async function prepare(): Promise<SecureStack> {
  const endpoints = await ensureSecureBroker({ onProgress: (line) => console.error(`[infra] ${line}`) });
  const { registryUrl } = stack();
  const env = (user: string) => ({ ...secureClientEnv(user), SCHEMA_REGISTRY_URL: registryUrl });
  await initCluster({
    config: loadConfig(cliEnv, { ...process.env, ...env(ADMIN_PRINCIPAL) }),
    partitions: SECURE_PARTITIONS,
    acls: true,
    // Exactly the fleet's ACLs: a stray of an earlier run (a grant a test added) deleted.
    prune: true,
    // Its retries (warnings) say why a set-up takes long.
    logger: createLogger({ service: 'test-init', level: 'warn' }),
    print: () => undefined,
  });
  return {
    ...endpoints,
    ca: readFileSync(endpoints.caFile, 'utf8'),
    registryUrl,
    env,
    password: (user) => secureClientEnv(user).KAFKA_SASL_PASSWORD,
  };
}

/** The fleet's configuration as `user` on the secure broker (what a service of that principal reads). */
export function configAs(secure: SecureStack, user: string): CommonConfig {
  return loadConfig(cliEnv, { ...process.env, ...secure.env(user) });
}

/** A kafkajs client log entry, as the foreign client below records them. */
export type ForeignLog = LogEntry['log'];

/**
 * A client that is not the project's: plain kafkajs, configured by hand, for trying what a
 * principal must not do. Its log entries are kept in `logs` (what the broker answered).
 */
export function foreignClient(config: Omit<KafkaConfig, 'logCreator' | 'logLevel' | 'clientId'>): {
  kafka: Kafka;
  logs: ForeignLog[];
} {
  const logs: ForeignLog[] = [];
  const kafka = new kafkajs.Kafka({
    clientId: 'foreign',
    connectionTimeout: 5000,
    retry: { retries: 0 },
    ...config,
    logLevel: kafkajs.logLevel.ERROR,
    logCreator: () => (entry) => void logs.push(entry.log),
  });
  return { kafka, logs };
}

/** The foreign client as `user` with the right CA (and `password`, the user's own unless given). */
export function foreignAs(secure: SecureStack, user: string, password = secure.password(user)) {
  return foreignClient({
    brokers: [secure.brokers],
    ssl: { ca: [secure.ca] },
    sasl: { mechanism: 'scram-sha-512', username: user, password },
  });
}

/** A CA the broker never heard of, and a certificate it signed that claims to be the broker's. */
export interface UnknownCa {
  readonly ca: string;
  readonly key: string;
  readonly cert: string;
}

/** Makes an {@link UnknownCa} with the machine's openssl, in a throw-away folder. */
export function unknownCa(): UnknownCa {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-unknown-ca-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (out: string) => ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', out];
  try {
    run(['req', '-x509', ...key('ca.key'), '-out', 'ca.pem', '-days', '2', '-subj', '/CN=unknown-ca']);
    run(['req', '-new', ...key('client.key'), '-out', 'client.csr', '-subj', '/CN=fleet-secure-broker']);
    const cert = run(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '7']);
    return {
      ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      key: readFileSync(join(dir, 'client.key'), 'utf8'),
      cert: cert.toString('utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

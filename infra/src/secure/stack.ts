import { FleetError } from '@fleet/contract';
import { loadInfraConfig, VERSIONS, type Progress } from '../config.js';
import { withLock } from '../lock.js';
import { waitFor } from '../probe.js';
import { runningPid, stopPid } from '../process.js';
import { findKafkaJava } from '../toolchain.js';
import type { ComponentStatus } from '../stack.js';
import { secureBrokerState, secureMarker, startSecureKafka } from './broker.js';
import { readCredentials, SECURE_MECHANISM, SECURE_USERS } from './credentials.js';
import { secureBrokerAddress, securePaths } from './paths.js';
import { findOpenssl } from './tls.js';

/** Where the secure broker answers and how to reach it (never a password). */
export interface SecureEndpoints {
  /** Bootstrap servers of the SASL_SSL listener, e.g. `127.0.0.1:9094`. */
  readonly brokers: string;
  /** PEM file of the CA that signed the broker's certificate: `KAFKA_SSL_CA_FILE`. */
  readonly caFile: string;
  /** `KAFKA_SASL_MECHANISM`. */
  readonly mechanism: typeof SECURE_MECHANISM;
  /** The 0600 JSON file holding every user's password. */
  readonly credentialsFile: string;
  /** Whether this call started the broker. */
  readonly started: boolean;
}

function endpoints(started: boolean): SecureEndpoints {
  const config = loadInfraConfig();
  const paths = securePaths(config);
  return {
    brokers: secureBrokerAddress(config),
    caFile: paths.caFile,
    mechanism: SECURE_MECHANISM,
    credentialsFile: paths.credentialsFile,
    started,
  };
}

/**
 * Makes sure the local secure broker answers, and says where: found running (whoever
 * started it from this state folder), waited for while another process starts it, or
 * started, all under a lock of its own so two callers never start two. It is a separate
 * process from the plain broker, with its own ports and state (`<state>/secure/`); the
 * schema registry is the plain stack's.
 */
export async function ensureSecureBroker(opts: { onProgress?: Progress } = {}): Promise<SecureEndpoints> {
  const config = loadInfraConfig();
  const paths = securePaths(config);
  const what = `the secure Kafka broker on ${secureBrokerAddress(config)}`;
  return withLock(
    paths.lockFile,
    async () => {
      const state = await secureBrokerState(config);
      if (state === 'ours') {
        // Users are formatted into the broker's storage when it starts: one added to the
        // contract since (a pull) has no login on this broker until it starts again.
        const missing = missingUsers(Object.keys(readCredentials(paths.credentialsFile).users));
        if (missing.length > 0) {
          throw new FleetError(
            'FLEET_INFRA_FAILED',
            `${what} runs without user(s) ${missing.join(', ')}, added since it started; ` +
              'restart it: npx fleet infra down --secure, then npx fleet infra up --secure',
          );
        }
        return endpoints(false);
      }
      if ((await runningPid(paths.pidFile, secureMarker(config))) !== undefined) {
        await waitFor(async () => (await secureBrokerState(config)) === 'ours', {
          what,
          timeoutMs: 120_000,
          onProgress: opts.onProgress,
        });
        return endpoints(false);
      }
      if (state === 'foreign') {
        throw new FleetError(
          'FLEET_INFRA_FAILED',
          `port ${config.secureKafkaPort} is taken by something that is not ${what} with the credentials under ${paths.dir}; stop it or set FLEET_SECURE_KAFKA_PORT`,
        );
      }
      findKafkaJava();
      findOpenssl();
      await startSecureKafka(config, opts.onProgress);
      return endpoints(true);
    },
    opts.onProgress,
  );
}

/** The users of {@link SECURE_USERS} that `known` (a running broker's) lacks. */
export function missingUsers(known: readonly string[]): string[] {
  return SECURE_USERS.filter((user) => !known.includes(user));
}

/** Stops the secure broker our pid file names; resolves to whether one was running. */
export async function stopSecureBroker(): Promise<boolean> {
  const config = loadInfraConfig();
  return stopPid(securePaths(config).pidFile, secureMarker(config));
}

/** State of the secure broker, as `fleet infra status` shows it. */
export type SecureBrokerStatus = Omit<ComponentStatus, 'name'> & { readonly name: 'kafka-secure' };

/** The secure broker's pid, address and whether it accepts the admin's credentials. */
export async function secureBrokerStatus(): Promise<SecureBrokerStatus> {
  const config = loadInfraConfig();
  const paths = securePaths(config);
  return {
    name: 'kafka-secure',
    version: VERSIONS.kafka,
    address: `SASL_SSL ${secureBrokerAddress(config)}`,
    pid: await runningPid(paths.pidFile, secureMarker(config)),
    answering: (await secureBrokerState(config)) === 'ours',
    logFile: paths.logFile,
  };
}

/**
 * The environment a fleet process needs to reach the secure broker as `user`: the
 * variables of README's Configuration, with the password read from the credentials file.
 * For tests and `fleet init --secure`; nothing prints it.
 * @throws FleetError FLEET_INFRA_FAILED when the broker never started or `user` is unknown.
 */
export function secureClientEnv(user: string): Record<string, string> {
  const config = loadInfraConfig();
  const paths = securePaths(config);
  const password = readCredentials(paths.credentialsFile).users[user];
  if (password === undefined)
    throw new FleetError('FLEET_INFRA_FAILED', `the secure broker has no user "${user}" (${paths.credentialsFile})`);
  return {
    KAFKA_BROKERS: secureBrokerAddress(config),
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: paths.caFile,
    KAFKA_SASL_MECHANISM: SECURE_MECHANISM,
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: password,
  };
}

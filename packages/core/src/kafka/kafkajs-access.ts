import { type FleetError, isFleetError, READER_GROUP_PREFIX } from '@fleet/contract';
import {
  isAccessError,
  notAuthorized,
  NOT_AUTHORIZED,
  saslMechanismRefused,
  saslRefused,
  SASL_FAILED,
  SASL_MECHANISM_REFUSED,
  untrustedCertificate,
  UNTRUSTED_CERT,
} from './access.js';
import type { LogEntry } from 'kafkajs';
import { errorChain, type KafkajsError } from './kafkajs-errors.js';
import type { AdminClient, ConsumerClient, KafkaClient, KafkaConnection, ProducerClient } from './types.js';

/**
 * Remembers what the broker refused this client, from kafkajs' own log entries: kafkajs
 * turns a FindCoordinator answer GROUP_AUTHORIZATION_FAILED into "Failed to find group
 * coordinator" (tulios/kafkajs#1654), but its connection logs the answer first.
 */
export interface AccessLog {
  /** Looks at a kafkajs log entry; true when it reports a refusal the seam turns into an error of its own. */
  observe(entry: LogEntry['log'] & { message?: string }): boolean;
  /** Whether a FindCoordinator of this client was refused by an ACL. */
  readonly groupDenied: boolean;
}

/** A fresh {@link AccessLog} for one client. */
export function createAccessLog(): AccessLog {
  let groupDenied = false;
  return {
    observe(entry) {
      const { error, stack } = entry as { error?: unknown; stack?: unknown };
      const text = `${entry.message ?? ''} ${typeof error === 'string' ? error : ''} ${typeof stack === 'string' ? stack : ''}`;
      if (/Response (GroupCoordinator|FindCoordinator)/.test(text) && /Group authorization failed/.test(text))
        groupDenied = true;
      return (
        /not authorized|authorization failed|authentication failed/i.test(text) ||
        (groupDenied && /KafkaJSGroupCoordinatorNotFound/.test(text))
      );
    },
    get groupDenied() {
      return groupDenied;
    },
  };
}

/**
 * The fleet's error for a refusal of the broker, or undefined when `err` is something else.
 * Messages name the user and what it tried, or the variable to check, never a secret; no
 * `cause`, because kafkajs decides whether to restart a consumer from the deepest cause.
 */
export function accessError(
  err: unknown,
  doing: string,
  connection: KafkaConnection,
  log: AccessLog,
): FleetError | undefined {
  if (isFleetError(err)) return isAccessError(err) ? err : undefined;
  const user = connection.sasl?.username;
  const chain = errorChain(err);
  const mechanism = chain.map(mechanismRefusal).find((answer) => answer !== undefined);
  if (mechanism) return saslMechanismRefused(mechanism, connection.sasl?.mechanism);
  for (const e of chain) {
    // kafkajs wraps what a batch handler threw (a refused send, already the fleet's error).
    if (isAccessError(e)) return e;
    if (e.name === 'KafkaJSSASLAuthenticationError' || (e.type && SASL_FAILED.has(e.type))) {
      return saslRefused(user, connection.sasl?.mechanism ?? 'no mechanism');
    }
    if (typeof e.code === 'string' && UNTRUSTED_CERT.has(e.code)) return untrustedCertificate(e.code);
    const type = e.type && NOT_AUTHORIZED.has(e.type) ? e.type : undefined;
    const group = e.name === 'KafkaJSGroupCoordinatorNotFound' && log.groupDenied;
    if (type || group) return notAuthorized(user, doing, type ?? 'GROUP_AUTHORIZATION_FAILED');
  }
  return undefined;
}

/**
 * The broker's refusal of the SASL mechanism in one error of the chain, or undefined: its
 * answer, or kafkajs' own check of the handshake's enabled mechanisms.
 */
function mechanismRefusal(e: KafkajsError): string | undefined {
  if (e.type && SASL_MECHANISM_REFUSED.has(e.type)) return e.type;
  const notEnabled = e.name === 'KafkaJSSASLAuthenticationError' && /mechanism is not supported/.test(e.message ?? '');
  return notEnabled ? 'UNSUPPORTED_SASL_MECHANISM' : undefined;
}

/** Wraps a kafkajs implementation of the seam so every refusal of the broker surfaces as the fleet's error. */
export function withAccessErrors(client: KafkaClient, connection: KafkaConnection, log: AccessLog): KafkaClient {
  const mapped = (err: unknown, doing: string): unknown => accessError(err, doing, connection, log) ?? err;
  const guard = async <T>(doing: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw mapped(err, doing);
    }
  };
  return {
    producer: () =>
      guard('connect an idempotent producer (it needs WRITE on a topic)', async () => {
        const producer = await client.producer();
        return {
          ...producer,
          send: (batches) => {
            const topics = batches.filter((b) => b.records.length > 0).map((b) => b.topic);
            return guard(`write to ${topics.join(', ')}`, () => producer.send(batches));
          },
          prepare: (topics) => guard(`read the metadata of ${topics.join(', ')}`, () => producer.prepare(topics)),
        } satisfies ProducerClient;
      }),
    async consumer(options) {
      const doing = `read in consumer group ${options.groupId}`;
      const consumer = await guard(doing, () =>
        client.consumer({
          ...options,
          onCrash: (err, restarting) => options.onCrash?.(mapped(err, doing), restarting),
        }),
      );
      return {
        ...consumer,
        run: (topics, handler) =>
          guard(`read ${topics.join(', ')} in group ${options.groupId}`, () => consumer.run(topics, handler)),
      } satisfies ConsumerClient;
    },
    admin: () => guard('connect an admin client', async () => guardAdmin(await client.admin(), guard)),
    readPartition: (topic, partition, from, onRecord) =>
      guard(`read back ${topic} in a ${READER_GROUP_PREFIX}* group`, () =>
        client.readPartition(topic, partition, from, onRecord),
      ),
  };
}

function guardAdmin(admin: AdminClient, guard: <T>(doing: string, call: () => Promise<T>) => Promise<T>): AdminClient {
  const wrapped: Record<string, unknown> = { ...admin };
  for (const [key, value] of Object.entries(admin)) {
    if (key === 'disconnect' || typeof value !== 'function') continue;
    const call = value as (...args: unknown[]) => Promise<unknown>;
    wrapped[key] = (...args: unknown[]) =>
      guard(
        `call ${key}(${args.map((a) => (Array.isArray(a) ? a.join(', ') : typeof a === 'object' ? '…' : String(a))).join(', ')})`,
        () => call(...args),
      );
  }
  return wrapped as unknown as AdminClient;
}

import { Admin, type BaseOptions, type SASLOptions } from '@platformatic/kafka';
import type { Logger } from '../logger.js';
import { backoffDelay } from '../retry.js';
import { createPlatformaticAdmin } from './platformatic-admin.js';
import { isAccessError } from './access.js';
import { saslUser, toFleetError } from './platformatic-errors.js';
import { connectPlatformaticConsumer } from './platformatic-consumer.js';
import { connectPlatformaticProducer } from './platformatic-producer.js';
import { createPlatformaticReader } from './platformatic-reader.js';
import type { AdminClient, KafkaClient, KafkaConnection } from './types.js';

const SASL_MECHANISMS = {
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
  plain: 'PLAIN',
} as const;

/**
 * The library's options for a connection: the same timeouts and retries as the kafkajs
 * seam (retries with exponential backoff and jitter from 300 ms to 30 s), TLS with an
 * explicit CA when given, SASL.
 */
export function platformaticOptions(connection: KafkaConnection): BaseOptions {
  const requestTimeoutMs = connection.requestTimeoutMs ?? 30000;
  const sasl: SASLOptions | undefined = connection.sasl && {
    mechanism: SASL_MECHANISMS[connection.sasl.mechanism],
    username: connection.sasl.username,
    password: connection.sasl.password,
  };
  const ssl = connection.ssl;
  return {
    clientId: connection.clientId,
    bootstrapBrokers: connection.brokers,
    connectTimeout: connection.connectionTimeoutMs ?? 3000,
    // `timeout` is what the broker may take (a produce waiting for all in-sync replicas);
    // `requestTimeout` is how long the client waits for any answer, a little longer.
    timeout: requestTimeoutMs,
    requestTimeout: requestTimeoutMs + 5000,
    retries: connection.retries ?? 8,
    retryDelay: (_client, _operation, attempt) =>
      backoffDelay(attempt - 1, { initialDelayMs: 300, maxDelayMs: 30_000 }),
    ...(ssl ? { tls: ssl === true ? {} : { ca: ssl.ca } } : {}),
    ...(sasl ? { sasl } : {}),
  };
}

/**
 * Fails at once when the broker refuses this connection's credentials or certificate, as
 * kafkajs' connect does: one metadata request, not retried. The library retries a refused
 * SASL handshake like any failed connection (it reports it as a network error caused by
 * the refusal), so the idempotent producer, whose retries never end, would otherwise wait
 * for ever without a word, and a consumer or admin for all its retries. Any other failure
 * (a broker not up yet) is left to the retries of the client that follows. Once a request
 * went through, the connection's credentials and certificate are known good: later calls
 * send none (a service creates its admin, producer and consumer on one client).
 */
function accessCheck(base: BaseOptions): (doing: string) => Promise<void> {
  let accepted = false;
  return async (doing) => {
    if (accepted) return;
    const probe = new Admin({ ...base, retries: 0 });
    try {
      await probe.metadata({ topics: [] });
      accepted = true;
    } catch (err) {
      const error = toFleetError(err, doing, saslUser(base));
      if (isAccessError(error)) throw error;
    } finally {
      await probe.close().catch(() => undefined);
    }
  };
}

/** Creates the @platformatic/kafka implementation of the {@link KafkaClient} seam. */
export function createPlatformaticClient(connection: KafkaConnection, logger: Logger): KafkaClient {
  const base = platformaticOptions(connection);
  const retries = connection.retries ?? 8;
  const reader = createPlatformaticReader(base, logger.child({ component: 'reader' }));
  const checkAccess = accessCheck(base);
  return {
    // Idempotence holds only while the producer keeps retrying the same sequence numbers.
    producer: async () => {
      await checkAccess('connect a producer');
      return connectPlatformaticProducer(
        { ...base, retries: Number.MAX_SAFE_INTEGER },
        logger.child({ component: 'producer' }),
      );
    },
    consumer: async (options) => {
      await checkAccess(`connect a consumer of group ${options.groupId}`);
      return connectPlatformaticConsumer(base, options, logger.child({ component: 'consumer' }), retries);
    },
    admin: async (): Promise<AdminClient> => {
      await checkAccess('connect an admin client');
      // One retry layer: the seam's retry helper (see platformatic-admin.ts).
      const admin = new Admin({ ...base, retries: 0 });
      return createPlatformaticAdmin(admin, retries, saslUser(base));
    },
    readPartition: reader,
  };
}

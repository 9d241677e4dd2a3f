import type { Logger } from '../logger.js';
import { createKafkaClient as createKafkajsClient } from './kafkajs-client.js';
import { createPlatformaticClient } from './platformatic-client.js';
import type { KafkaClient, KafkaConnection } from './types.js';

/**
 * The one factory of the {@link KafkaClient} seam: the library `connection.client` names
 * (`KAFKA_CLIENT`), kafkajs unless told otherwise. Every process, tool and test helper
 * builds its client here.
 */
export function createKafkaClient(connection: KafkaConnection, logger: Logger): KafkaClient {
  switch (connection.client ?? 'kafkajs') {
    case 'kafkajs':
      return createKafkajsClient(connection, logger);
    case 'platformatic':
      return createPlatformaticClient(connection, logger);
  }
}

import { createKafkaClient, createLogger, createRegistry, installShutdown, kafkaConnection, loadConfig, registryConnection } from '@fleet/core';
import { decisionEnv } from './env.js';
import { createDecisionService } from './service.js';

const config = loadConfig(decisionEnv);
const logger = createLogger({ service: 'decision', level: config.logLevel });
const service = await createDecisionService(config, {
  kafka: createKafkaClient(kafkaConnection(config, 'decision'), logger),
  registry: createRegistry(registryConnection(config)),
  logger,
});
installShutdown(service, logger, { graceMs: config.shutdownGraceMs });
await service.start();

import {
  createKafkaClient,
  createLogger,
  createMetrics,
  createRegistry,
  kafkaConnection,
  loadConfig,
  registryConnection,
  runMain,
  serve,
} from '@fleet/core';
import { decisionEnv } from './env.js';
import { createDecisionService } from './service.js';

runMain('decision', async () => {
  const config = loadConfig(decisionEnv);
  const logger = createLogger({ service: 'decision', level: config.logLevel });
  const metrics = createMetrics('decision');
  const service = await createDecisionService(config, {
    kafka: createKafkaClient(kafkaConnection(config, 'decision'), logger),
    registry: createRegistry(registryConnection(config)),
    logger,
    metrics,
  });
  await serve(service, { logger, metrics, metricsPort: config.metricsPort, shutdownGraceMs: config.shutdownGraceMs });
});

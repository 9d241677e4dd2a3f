/**
 * `@fleet/infra`: a real local Kafka broker (KRaft) and a Confluent-compatible schema
 * registry (Apicurio), fetched from Maven Central and run without Docker.
 */
export { ensureStack, releaseStack, stackStatus, stopStack } from './stack.js';
export type {
  ComponentStatus,
  EnsureStackOptions,
  StackComponent,
  StackEndpoints,
  StackRelease,
  StackStatus,
} from './stack.js';
export { infraEnv, loadInfraConfig, VERSIONS } from './config.js';
export { warmUpCoordinator } from './kafka.js';
export { isAlive as isProcessWith, rotateLog, LOG_ROTATE_BYTES } from './process.js';
export { rateIsSteady, warmUpBroker, WARM_UP_TOPICS } from './warm-up.js';
export type { BrokerWarmUp, BrokerWarmUpOptions } from './warm-up.js';
export type { InfraConfig, Progress } from './config.js';
export { runInfra, INFRA_USAGE } from './commands.js';
export { ensureSecureBroker, secureBrokerStatus, secureClientEnv, stopSecureBroker } from './secure/stack.js';
export type { SecureBrokerStatus, SecureEndpoints } from './secure/stack.js';
export { readCredentials, SECURE_MECHANISM, SECURE_USERS } from './secure/credentials.js';
export type { SecureCredentials } from './secure/credentials.js';
export { secureBrokerAddress, securePaths } from './secure/paths.js';
export type { SecurePaths } from './secure/paths.js';

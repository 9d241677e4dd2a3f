/**
 * `@fleet/infra`: a real local Kafka broker (KRaft) and a Confluent-compatible schema
 * registry (Apicurio), fetched from Maven Central and run without Docker.
 */
export { ensureStack, stackStatus, stopStack } from './stack.js';
export type { ComponentStatus, EnsureStackOptions, StackComponent, StackEndpoints, StackStatus } from './stack.js';
export { infraEnv, loadInfraConfig, VERSIONS } from './config.js';
export type { InfraConfig, Progress } from './config.js';
export { runInfra, INFRA_USAGE } from './commands.js';

import { join } from 'node:path';
import type { ModelName } from '@fleet/contract';
import type { AdminClient } from '@fleet/core';
import { cliConfig, type CliConfig } from '../../config.js';
import { positionShadowGroup, shadowEnv } from '../../lifecycle/shadow-group.js';
import {
  groupOf,
  launchService,
  SERVICE_NAMES,
  type LaunchedService,
  type StreamServiceName,
} from '../../launcher/index.js';
import { registerDemoServices } from '../../procs/demo-services.js';
import type { Progress } from '../../progress.js';

/** Starts the five services into `launched` as each starts (so that a failure stops those started). */
export async function startServices(
  env: Record<string, string>,
  progress: Progress,
  launched: LaunchedService[],
): Promise<void> {
  const logs = join(cliConfig().stateDir, 'logs');
  // Groups named like `fleet up`'s (FLEET_GROUP_PREFIX), so a demo beside other fleets keeps to its own.
  const group = (service: StreamServiceName) => ({ GROUP_ID: groupOf(service, cliConfig().groupPrefix) });
  for (const service of SERVICE_NAMES) {
    const options = { env: { ...env, ...group(service) }, logFile: join(logs, `demo-${service}.log`) };
    launched.push(await launchService(service, options));
  }
  registerDemoServices(launched);
  progress.update(`waiting for services to join their groups: ${SERVICE_NAMES.join(', ')}`);
  await Promise.all(launched.map((l) => l.waitReady(120_000)));
  progress.done(`services ready: ${SERVICE_NAMES.join(', ')}`);
}

/** Starts `model@version` as a shadow beside the demo's live services (fleet shadow's group and settings). */
export async function startShadow(
  admin: AdminClient,
  shadow: { model: ModelName; version: string },
  config: CliConfig,
  progress: Progress,
  launched: LaunchedService[],
): Promise<void> {
  const group = await positionShadowGroup(admin, shadow.model, shadow.version);
  const service = await launchService(shadow.model, {
    name: `${shadow.model}-shadow`,
    env: {
      KAFKA_BROKERS: config.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
      ...shadowEnv(group, shadow.version),
    },
    logFile: join(config.stateDir, 'logs', `demo-${shadow.model}-shadow.log`),
  });
  launched.push(service);
  await service.waitReady(120_000);
  progress.done(`shadow ready: ${shadow.model} ${shadow.version} in group ${group}`);
}

import { commonEnv, str, type ConfigOf } from '@fleet/core';

/** What `@fleet/client` reads from the environment: the fleet's connection and the online service. */
export const clientEnv = {
  ...commonEnv,
  onlineUrl: str(
    'ONLINE_URL',
    'Base URL of the online service, where `@fleet/client` asks for quotes',
    'http://127.0.0.1:8080',
  ),
} as const;

/** The parsed {@link clientEnv}. */
export type ClientConfig = ConfigOf<typeof clientEnv>;

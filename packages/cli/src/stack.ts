/** Where the broker and registry are, and whether this process started them. */
export interface StackHandle {
  brokers: string;
  registryUrl: string;
  /** Whether this process started the broker or the registry. */
  started: boolean;
  /** Stops what this process started (nothing when they were running already or configured). */
  release(): Promise<void>;
}

/**
 * The broker and registry to use: `KAFKA_BROKERS` / `SCHEMA_REGISTRY_URL` when set,
 * otherwise the local stack of `infra/` (found running, or fetched and started).
 */
export async function acquireStack(onProgress: (line: string) => void): Promise<StackHandle> {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (brokers && registryUrl) return { brokers, registryUrl, started: false, release: async () => undefined };
  const infra = await import('@fleet/infra');
  const stack = await infra.ensureStack({ onProgress });
  process.env.KAFKA_BROKERS = stack.brokers;
  process.env.SCHEMA_REGISTRY_URL = stack.registryUrl;
  return {
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    started: stack.started.length > 0,
    release: async () => {
      if (stack.started.length > 0) await infra.stopStack();
    },
  };
}

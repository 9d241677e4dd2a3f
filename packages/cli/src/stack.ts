import type { StackComponent } from '@fleet/infra';

/** The holder `fleet up` holds the local stack as, until `fleet down`. */
export const FLEET_UP_HOLDER = 'fleet-up';

/** Where the broker and registry are, and whether this process started them. */
export interface StackHandle {
  brokers: string;
  registryUrl: string;
  /** Whether this process started the broker or the registry. */
  started: boolean;
  /** What this process started. */
  components: StackComponent[];
  /**
   * Ends this process's hold on the local stack and stops what it started, unless another
   * run uses the stack now (nothing when they were running already or configured).
   */
  release(): Promise<void>;
}

/**
 * The broker and registry to use: `KAFKA_BROKERS` / `SCHEMA_REGISTRY_URL` when set,
 * otherwise the local stack of `infra/` (found running, or fetched and started).
 */
export async function acquireStack(
  onProgress: (line: string) => void,
  hold: true | string = true,
): Promise<StackHandle> {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (brokers && registryUrl)
    return { brokers, registryUrl, started: false, components: [], release: async () => undefined };
  const infra = await import('@fleet/infra');
  const stack = await infra.ensureStack({ onProgress, hold });
  process.env.KAFKA_BROKERS = stack.brokers;
  process.env.SCHEMA_REGISTRY_URL = stack.registryUrl;
  return {
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    started: stack.started.length > 0,
    components: stack.started,
    release: async () => {
      const { keptFor } = await infra.releaseStack(stack.started, hold);
      if (stack.started.length > 0 && keptFor.length > 0)
        onProgress(`the local ${stack.started.join(' and ')} keep running for ${keptFor.join(', ')}`);
    },
  };
}

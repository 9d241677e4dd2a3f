/** `up|down|status|reset` of the local stack, shared by `fleet infra` and `infra/src/cli.ts`. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInfraConfig } from './config.js';
import { ensureStack, stackStatus, stopStack } from './stack.js';

/** Usage of the infra commands. */
export const INFRA_USAGE = `Usage: npx fleet infra up|down|status|reset

  up      fetch (first run) and start the local Kafka broker and schema registry, or find them running
  down    stop them
  status  what runs, where, its pid and log file
  reset   stop them and delete Kafka's records and the registry's schemas (fetched artifacts stay cached)`;

/** Runs one infra command; resolves to the exit code. */
export async function runInfra(command: string | undefined): Promise<number> {
  const log = (line: string): void => console.error(`[infra] ${line}`);
  switch (command) {
    case 'up': {
      const t0 = Date.now();
      const stack = await ensureStack({ onProgress: log });
      const what = stack.started.length ? `started ${stack.started.join(' and ')}` : 'already running';
      log(`${what} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      console.log(`KAFKA_BROKERS=${stack.brokers}\nSCHEMA_REGISTRY_URL=${stack.registryUrl}`);
      return 0;
    }
    case 'down': {
      const stopped = await stopStack();
      log(stopped.length ? `stopped ${stopped.join(' and ')}` : 'nothing of ours was running');
      return 0;
    }
    case 'status': {
      const status = await stackStatus();
      for (const c of [status.kafka, status.registry]) {
        const state = c.answering ? 'answering' : 'not answering';
        console.log(
          `${c.name.padEnd(8)} ${c.version.padEnd(6)} ${c.address.padEnd(40)} ${state.padEnd(13)} pid ${c.pid ?? '-'}  log ${c.logFile}`,
        );
      }
      return status.kafka.answering && status.registry.answering ? 0 : 1;
    }
    case 'reset': {
      await stopStack();
      const { stateDir } = loadInfraConfig();
      // Only data: the fetched jars, classpath and registry archive stay cached.
      await rm(join(stateDir, 'kafka', 'data'), { recursive: true, force: true });
      await rm(join(stateDir, 'kafka', 'formatted.json'), { force: true });
      // The schemas go with the records that carry their ids.
      await rm(join(stateDir, 'registry-data'), { recursive: true, force: true });
      log(`stopped the stack and removed Kafka's records and the registry's schemas under ${stateDir}`);
      return 0;
    }
    default:
      console.error(INFRA_USAGE);
      return 2;
  }
}

/** `up|down|status|reset [--secure]` of the local stack, shared by `fleet infra` and `infra/src/cli.ts`. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInfraConfig } from './config.js';
import { securePaths } from './secure/paths.js';
import { ensureSecureBroker, secureBrokerStatus, stopSecureBroker } from './secure/stack.js';
import { ensureStack, stackStatus, stopStack, type ComponentStatus } from './stack.js';

/** Usage of the infra commands. */
export const INFRA_USAGE = `Usage: npx fleet infra up|down|status|reset [--secure]

  up      fetch (first run) and start the local Kafka broker and schema registry, or find them running
  down    stop them
  status  what runs, where, its pid and log file (the secure broker included)
  reset   stop them and delete Kafka's records and the registry's schemas (fetched artifacts stay cached)

  --secure  the same for the secure broker instead: SASL_SSL (SCRAM-SHA-512) on its own port, TLS
            from a CA made on first start, ACLs enforced (deny by default). Its users' passwords
            are in <state>/secure/credentials.json (0600); \`reset --secure\` also forgets the CA,
            certificates and passwords. The registry stays the plain stack's.`;

type Log = (line: string) => void;

function statusLine(c: Pick<ComponentStatus, 'version' | 'address' | 'answering' | 'pid' | 'logFile'>, name: string) {
  const state = c.answering ? 'answering' : 'not answering';
  return `${name.padEnd(12)} ${c.version.padEnd(6)} ${c.address.padEnd(40)} ${state.padEnd(13)} pid ${c.pid ?? '-'}  log ${c.logFile}`;
}

async function runSecure(command: string | undefined, log: Log): Promise<number> {
  switch (command) {
    case 'up': {
      const t0 = Date.now();
      const broker = await ensureSecureBroker({ onProgress: log });
      log(`${broker.started ? 'started' : 'already running'} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      log(`passwords of admin and every service principal: ${broker.credentialsFile} (never printed)`);
      log('next: npx fleet init --secure --acls (topics, schemas and the ACLs, as admin)');
      console.log(
        `KAFKA_BROKERS=${broker.brokers}\nKAFKA_SSL_CA_FILE=${broker.caFile}\nKAFKA_SASL_MECHANISM=${broker.mechanism}`,
      );
      return 0;
    }
    case 'down':
      log((await stopSecureBroker()) ? 'stopped the secure broker' : 'no secure broker of ours was running');
      return 0;
    case 'status': {
      const status = await secureBrokerStatus();
      console.log(statusLine(status, status.name));
      return status.answering ? 0 : 1;
    }
    case 'reset': {
      await stopSecureBroker();
      const { dir } = securePaths(loadInfraConfig());
      await rm(dir, { recursive: true, force: true });
      log(`stopped the secure broker and removed ${dir} (records, CA, certificates, passwords)`);
      return 0;
    }
    default:
      console.error(INFRA_USAGE);
      return 2;
  }
}

async function runPlain(command: string | undefined, log: Log): Promise<number> {
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
      const [status, secure] = await Promise.all([stackStatus(), secureBrokerStatus()]);
      for (const c of [status.kafka, status.registry]) console.log(statusLine(c, c.name));
      // Shown for information; only `status --secure` fails when it does not answer.
      console.log(statusLine(secure, secure.name));
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

/** Runs one infra command (`argv`: the command, then `--secure` or nothing); resolves to the exit code. */
export async function runInfra(argv: readonly string[]): Promise<number> {
  const log: Log = (line) => console.error(`[infra] ${line}`);
  const [command, ...rest] = argv;
  const secure = rest.includes('--secure');
  if (rest.some((a) => a !== '--secure')) {
    console.error(INFRA_USAGE);
    return 2;
  }
  return secure ? runSecure(command, log) : runPlain(command, log);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { REPO_ROOT } from '@fleet/contract';
import { freePort, isAlive, isReady, stopProcess } from './process.js';
import { SERVICE_ENTRIES, SERVICE_PORT_ENV, type ServiceName } from './services.js';

/** Options of {@link launchService}. */
export interface LaunchOptions {
  /** Name of the instance in messages, e.g. `duration-2`. @default the service */
  name?: string;
  /**
   * Environment on top of this process's (topics, groups, …); the port variable of the
   * service (`METRICS_PORT`, `ONLINE_PORT` for online) is set here.
   */
  env?: Readonly<Record<string, string>>;
  /** The port of the service's /readyz (and of online's whole API). @default (and 0) a free port */
  port?: number;
  /** File that receives the instance's stdout and stderr (JSON log lines). */
  logFile: string;
  /**
   * Another entry file that composes the same process (the fault suite's faulty model),
   * repo-relative or absolute. @default the service's `main.ts`
   */
  entry?: string;
  /** Survives this process (for `fleet up`); otherwise a child that the caller stops. */
  detached?: boolean;
}

/** One launched service process, tracked until it exits. */
export interface LaunchedService {
  readonly name: string;
  readonly service: ServiceName;
  /** The service's own pid: signals sent to it reach the service itself. */
  readonly pid: number;
  /** Port of its /metrics, /healthz and /readyz (online: of its whole HTTP API). */
  readonly port: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** The exit code or signal once it exited, else undefined. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /**
   * Resolves when /readyz answers 200; rejects at once, with the log's tail, when the
   * process exits first, and after `timeoutMs` otherwise.
   */
  waitReady(timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs: number): Promise<void>;
  /** The lines of its log that match `pattern`. */
  logLines(pattern: RegExp): string[];
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
}

/**
 * Starts one instance of a service as its own Node.js process, the one way the CLI, the
 * bench and the fault suite start services. `node --import tsx <entry>` (not the tsx CLI,
 * which runs the script in a child of its own), so the pid is the service itself and
 * signals such as SIGKILL and SIGSTOP reach it.
 */
export async function launchService(service: ServiceName, options: LaunchOptions): Promise<LaunchedService> {
  // 0 (ONLINE_PORT=0: any free port) is picked here, so that the port is known to wait on.
  const port = options.port || (await freePort());
  mkdirSync(dirname(options.logFile), { recursive: true });
  const out = openSync(options.logFile, 'a');
  const entry = options.entry ?? SERVICE_ENTRIES[service];
  const child = spawn(process.execPath, ['--import', 'tsx', isAbsolute(entry) ? entry : join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env, [SERVICE_PORT_ENV[service]]: String(port) },
    stdio: ['ignore', out, out],
    detached: options.detached ?? false,
  });
  if (child.pid === undefined) throw new Error(`could not start ${service}: no pid (see ${options.logFile})`);
  if (options.detached) child.unref();
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const pid = child.pid;
  const logTail = (lines = 15) => tail(options.logFile, lines);
  const name = options.name ?? service;
  return {
    name,
    service,
    pid,
    port,
    logFile: options.logFile,
    child,
    exit: () => exited,
    async waitReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!(await isReady({ port, pid }))) {
        if (exited !== undefined || !isAlive(pid))
          throw new Error(`${name} exited (${exited?.code ?? exited?.signal ?? 'gone'}):\n${logTail()}`);
        if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs / 1000} s:\n${logTail()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    stop: (graceMs) => stopProcess(pid, graceMs),
    logLines: (pattern) =>
      readLog(options.logFile)
        .split('\n')
        .filter((l) => pattern.test(l)),
    logTail,
  };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tail(file: string, lines: number): string {
  return readLog(file).trim().split('\n').slice(-lines).join('\n') || '(no log)';
}

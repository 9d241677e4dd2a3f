/**
 * The bench's Python processes (bench/peer/): the venv they run in (the training venv,
 * models/train/.venv), and processes that answer in JSON lines on stdout, a `ready` line
 * first, and log on stderr.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopProcess } from '@fleet/cli/launcher';
import { ensureVenv, TRAIN_REQUIREMENTS } from '../../scripts/python-venv.mjs';
import { REPO_ROOT } from './context.js';
import { memory } from './procstat.js';

/** The Python peer's directory. */
export const PEER_DIR = join(REPO_ROOT, 'bench', 'peer');
const PEER_REQUIREMENTS = join(PEER_DIR, 'requirements.txt');

/** `name==version` lines of a requirements file, by lower-cased name. */
function pins(path: string): Map<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n');
  const found = lines.map((l) => /^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)/.exec(l)).filter((m) => m !== null);
  return new Map(found.map((m) => [m[1].toLowerCase().replaceAll('_', '-'), m[2]]));
}

/**
 * The interpreter of the training venv with the peer's requirements installed: the venv is
 * created when missing and the requirements installed when they changed (a stamp of their
 * own). One venv holds both pipelines, so a package both pin must carry the same version.
 */
export function peerPython(say: (line: string) => void): string {
  const train = pins(TRAIN_REQUIREMENTS);
  const clashes = [...pins(PEER_REQUIREMENTS)].filter(([name, v]) => train.has(name) && train.get(name) !== v);
  if (clashes.length > 0) {
    const list = clashes.map(([name, v]) => `${name} ${v} (training: ${train.get(name)})`).join(', ');
    throw new Error(`bench/peer/requirements.txt pins differ from models/train/requirements.txt: ${list}`);
  }
  return ensureVenv(PEER_REQUIREMENTS, '.peer-requirements.sha256', say);
}

/** One JSON line a Python process printed on stdout. */
export type PythonMessage = Record<string, unknown>;

/** A Python process of the bench. */
export interface PythonProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with its `ready` line; rejects, with the log's tail, if it exits or is silent first. */
  waitReady(timeoutMs: number): Promise<PythonMessage>;
  /** Writes one JSON line to its stdin. */
  send(message: object): void;
  /** Its next JSON line on stdout. */
  next(timeoutMs: number): Promise<PythonMessage>;
  /** Peak resident set size, MiB (read before it stops). */
  peakRssMb(): number;
  /** Closes its stdin, then SIGTERM, SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** Starts `python <script> ...args` in bench/peer/, stderr to `.fleet/logs/bench-<name>.log`. */
export function startPython(python: string, script: string, args: string[], name: string): PythonProcess {
  const logFile = join(REPO_ROOT, '.fleet', 'logs', `bench-${name}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const child = spawn(python, [join(PEER_DIR, script), ...args], {
    cwd: PEER_DIR,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    stdio: ['pipe', 'pipe', openSync(logFile, 'a')],
  });
  const { pid, stdin, stdout } = child;
  if (pid === undefined || !stdin || !stdout) throw new Error(`could not start ${name} (see ${logFile})`);
  const tail = (): string => {
    const text = readFileSync(logFile, 'utf8').trim();
    return text.split('\n').slice(-15).join('\n') || '(no log)';
  };
  const lines: PythonMessage[] = [];
  const waiting: Array<{ resolve: (m: PythonMessage) => void; reject: (e: Error) => void }> = [];
  let exited: string | undefined;
  createInterface({ input: stdout }).on('line', (text) => {
    let message: PythonMessage;
    try {
      message = JSON.parse(text) as PythonMessage;
    } catch {
      return;
    }
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(message);
    else lines.push(message);
  });
  child.on('exit', (code, signal) => {
    exited = `${name} exited (${code ?? signal})`;
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`${exited}:\n${tail()}`));
  });
  // A process that died is reported by next(); a write to its closed stdin needs no report of its own.
  stdin.on('error', () => undefined);
  const next = (timeoutMs: number): Promise<PythonMessage> =>
    new Promise((resolve, reject) => {
      const queued = lines.shift();
      if (queued) return resolve(queued);
      if (exited) return reject(new Error(`${exited}:\n${tail()}`));
      const waiter = {
        resolve: (m: PythonMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(waiter), 1);
        reject(new Error(`${name}: no answer after ${timeoutMs / 1000} s:\n${tail()}`));
      }, timeoutMs);
      waiting.push(waiter);
    });
  return {
    name,
    pid,
    logFile,
    async waitReady(timeoutMs) {
      const message = await next(timeoutMs);
      if (message.event !== 'ready') throw new Error(`${name}: expected a ready line, got ${JSON.stringify(message)}`);
      return message;
    },
    send: (message) => stdin.write(`${JSON.stringify(message)}\n`),
    next,
    peakRssMb: () => memory(pid)?.peakRssMb ?? Number.NaN,
    async stop(graceMs) {
      stdin.end();
      await stopProcess(pid, graceMs);
    },
  };
}

/**
 * CPU time and memory of processes from /proc (Linux): what a process tree has used so
 * far, so a stage can take the difference before and after and divide by the rides.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 almost everywhere). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/**
 * utime + stime of one process (all its threads) in seconds, parent pid; undefined when it
 * is gone. With `tid`, of that one thread of the process.
 */
function stat(pid: number, tid?: number): { cpuSec: number; ppid: number } | undefined {
  try {
    const text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return { cpuSec: (utime + stime) / clockTicks(), ppid };
  } catch {
    return undefined;
  }
}

/** Peak (VmHWM) and current (VmRSS) resident set size of a process, MiB. */
export function memory(pid: number): { peakRssMb: number; rssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  return stat(pid)?.cpuSec ?? Number.NaN;
}

/** CPU seconds (user + system) the main thread of a process (its event loop, for Node) has used so far. */
export function mainThreadCpuSeconds(pid: number): number {
  return stat(pid, pid)?.cpuSec ?? Number.NaN;
}

/** `pid` and every process below it (a gunicorn master and its workers). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = stat(Number(name))?.ppid;
    if (ppid !== undefined) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
  }
  const tree: number[] = [];
  const visit = (p: number): void => {
    tree.push(p);
    for (const child of parents.get(p) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/**
 * The pid of the local broker listening on `port` (whoever started it): a `kafka.Kafka`
 * process whose server.properties (its last argument) has that PLAINTEXT listener.
 * Undefined when none is found (a remote or Docker broker): broker CPU is then not metered.
 */
export function findBrokerPid(port: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!args.includes('kafka.Kafka')) continue;
      const props = readFileSync(args[args.length - 1], 'utf8');
      if (new RegExp(`^listeners=.*PLAINTEXT://[^,]*:${port}(,|$)`, 'm').test(props)) return Number(name);
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

/** A CPU meter on a set of pids: seconds used since `start()`. */
export interface CpuMeter {
  /** CPU seconds each pid has used since the meter was created (or last reset). */
  read(): Record<string, number>;
  reset(): void;
}

/** Meters the CPU of named pids between two points in time. */
export function cpuMeter(pids: Record<string, number>): CpuMeter {
  let base: Record<string, number> = {};
  const sample = (): Record<string, number> =>
    Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const meter: CpuMeter = {
    reset() {
      base = sample();
    },
    read() {
      const now = sample();
      return Object.fromEntries(Object.entries(now).map(([name, v]) => [name, v - (base[name] ?? 0)]));
    },
  };
  meter.reset();
  return meter;
}

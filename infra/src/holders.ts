import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InfraConfig } from './config.js';
import { isAlive } from './process.js';

/**
 * Who uses the local stack. A run that starts the stack for its own use (a test run, a
 * demo, a bench, `fleet up`) holds it until it releases it; releasing, it stops what it
 * started only when no other holder is left, so the end of one run never stops a broker
 * that another run, started meanwhile, still uses. A holder is a process (`pid-<pid>`,
 * gone when the process is) or a name (`fleet-up`, until `fleet down`).
 */
const holdersDir = (config: InfraConfig): string => join(config.stateDir, 'holders');

/** The holder name of this process. */
export const processHolder = (): string => `pid-${process.pid}`;

/** Records `holder` as a user of the stack. */
export function addHolder(config: InfraConfig, holder: string): void {
  mkdirSync(holdersDir(config), { recursive: true });
  writeFileSync(join(holdersDir(config), holder), `${new Date().toISOString()}\n`);
}

/** Forgets `holder`. */
export function removeHolder(config: InfraConfig, holder: string): void {
  rmSync(join(holdersDir(config), holder), { force: true });
}

/** Forgets every holder: the stack was stopped whoever held it (`fleet infra down`). */
export function clearHolders(config: InfraConfig): void {
  rmSync(holdersDir(config), { recursive: true, force: true });
}

/** The holders other than `holder` that still use the stack; those of processes gone are forgotten. */
export function otherHolders(config: InfraConfig, holder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(holdersDir(config));
  } catch {
    return [];
  }
  return names.filter((name) => {
    if (name === holder) return false;
    const pid = /^pid-(\d+)$/.exec(name)?.[1];
    if (pid === undefined || isAlive(Number(pid))) return true;
    removeHolder(config, name);
    return false;
  });
}

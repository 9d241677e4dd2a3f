import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InfraConfig } from '../src/config.js';
import { addHolder, clearHolders, otherHolders, processHolder, removeHolder } from '../src/holders.js';

describe('holders of the local stack', () => {
  const dirs: string[] = [];
  const config = (): InfraConfig => {
    const stateDir = mkdtempSync(join(tmpdir(), 'fleet-holders-'));
    dirs.push(stateDir);
    return { stateDir } as InfraConfig;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('are the other live processes and names; those of processes gone are forgotten', () => {
    const c = config();
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    addHolder(c, processHolder());
    addHolder(c, `pid-${gone}`);
    addHolder(c, 'fleet-up');
    expect(otherHolders(c, 'pid-1-not-me')).toEqual(expect.arrayContaining([processHolder(), 'fleet-up']));
    expect(otherHolders(c, 'fleet-up')).toEqual([processHolder()]);
    removeHolder(c, processHolder());
    expect(otherHolders(c, 'fleet-up')).toEqual([]);
    expect(otherHolders(c, 'x')).toEqual(['fleet-up']);
  });

  it('are all forgotten when the stack is stopped whoever held it', () => {
    const c = config();
    addHolder(c, 'fleet-up');
    addHolder(c, processHolder());
    clearHolders(c);
    expect(otherHolders(c, 'x')).toEqual([]);
  });

  it('are none where nothing was ever held', () => {
    expect(otherHolders(config(), processHolder())).toEqual([]);
  });
});

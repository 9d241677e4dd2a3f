import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { positiveInteger } from '../src/args.js';
import { isProcessOf, isServiceName, SERVICE_ENTRIES } from '../src/launcher/index.js';
import { dashboardCommand } from '../src/commands/dashboard.js';
import { demoCommand } from '../src/commands/demo.js';
import { scaleCommand } from '../src/commands/scale.js';

describe('command-line values', () => {
  it('takes whole numbers within bounds only', () => {
    expect(positiveInteger(undefined, 'partitions', 1000)).toBeUndefined();
    expect(positiveInteger('12', 'partitions', 1000)).toBe(12);
    for (const bad of ['2.5', '0', '0.5', '1e2', '', 'abc', '1001', '-3'])
      expect(() => positiveInteger(bad, 'partitions', 1000), bad).toThrow(/--partitions must be a whole number/);
  });

  it('knows services by their own names, not by what every object has', () => {
    expect(isServiceName('duration')).toBe(true);
    for (const name of ['toString', 'constructor', '__proto__']) expect(isServiceName(name), name).toBe(false);
  });

  it('refuses a scale to an empty, fractional or absurd count before touching anything', async () => {
    for (const args of [
      ['duration', ''],
      ['duration', '1e2'],
      ['duration', '1.5'],
      ['duration', '1000'],
      ['toString', '1'],
    ])
      await expect(scaleCommand.run(args), JSON.stringify(args)).rejects.toMatchObject({ code: 'FLEET_INPUT_INVALID' });
  });
});

describe('the demo', () => {
  it('refuses, before it starts anything, counts the services would refuse or a run could not hold', async () => {
    for (const args of [
      ['--rides', '2.5'],
      ['--rides', '1e9'],
      ['--join-timeout-ms', '5'],
      ['--join-timeout-ms', '2.5'],
    ])
      await expect(demoCommand.run(args), JSON.stringify(args)).rejects.toMatchObject({ code: 'FLEET_INPUT_INVALID' });
  });
});

describe('the dashboard', () => {
  it('refuses a port or an interval it could not use, before it connects', async () => {
    for (const args of [
      ['--port', '70000'],
      ['--port', '8090.5'],
      ['--interval', '3000000'],
    ])
      await expect(dashboardCommand.run(args), JSON.stringify(args)).rejects.toMatchObject({
        code: 'FLEET_INPUT_INVALID',
      });
  });
});

describe('a recorded instance', () => {
  it('is the process with its pid only while that process runs its entry', async () => {
    const entry = SERVICE_ENTRIES.duration;
    const run = (...args: string[]) => spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', ...args]);
    const service = run(entry);
    const other = run();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(isProcessOf(service.pid!, entry)).toBe(true);
      // Its pid reused by another process of the user (after a reboot, say): not an instance.
      expect(isProcessOf(other.pid!, entry)).toBe(false);
    } finally {
      service.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});

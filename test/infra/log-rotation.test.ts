import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rotateLog } from '@fleet/infra';

describe("a component's log", () => {
  it('is moved to .1 at start only when it outgrew the limit, replacing the one before', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'fleet-log-')), 'kafka.log');
    expect(rotateLog(log, 10)).toBe(false);
    writeFileSync(log, 'short');
    expect(rotateLog(log, 10)).toBe(false);
    expect(readFileSync(log, 'utf8')).toBe('short');
    writeFileSync(log, 'first run, long');
    expect(rotateLog(log, 10)).toBe(true);
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('first run, long');
    writeFileSync(log, 'second run, long');
    expect(rotateLog(log, 10)).toBe(true);
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('second run, long');
  });
});

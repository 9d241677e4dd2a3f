import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable } from '../../scripts/config-table.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** A markdown table's cells without the padding prettier adds. */
const cells = (markdown: string) =>
  markdown
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .map((c) => c.trim().replace(/^-+$/, '---'))
        .join('|'),
    )
    .join('\n');

describe('README', () => {
  it('has the configuration table the code defines', () => {
    expect(cells(read('README.md'))).toContain(cells(configTable()));
  });

  it('gives the test command that CI runs', () => {
    const readme = read('README.md');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Architecture'));
    const testCommand = /^(npm [a-z:]+) +# .*runs every test/m.exec(quickStart)?.[1];
    expect(testCommand).toBe('npm test');
    const ci = read('.ci/run')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '));
    expect(ci).toEqual([testCommand]);
  });
});

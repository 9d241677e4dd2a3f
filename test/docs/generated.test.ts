import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { faultsSummary, type FaultsRun } from '../../scripts/docs/faults.js';
import { SECTIONS } from '../../scripts/docs/generate.js';
import { provenance } from '../../scripts/docs/provenance.js';
import { replaceSection, sectionOf } from '../../scripts/docs/sections.js';
import { skippedResult, type FaultResult } from '../faults/lib/results.js';
import { filesNotCovered } from '../faults/setup/summary.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** `markdown` between two headings, generated sections removed: the part people write. */
function handWritten(markdown: string, from: string, to?: string): string {
  const start = markdown.indexOf(from);
  const end = to === undefined ? markdown.length : markdown.indexOf(to, start);
  return markdown.slice(start, end).replace(/<!-- generated:(\S+) begin -->[\s\S]*?<!-- generated:\1 end -->/g, '');
}

describe('generated sections', () => {
  it.each(SECTIONS.map((s) => [`${s.file} '${s.name}'`, s] as const))(
    '%s equals what its source renders (npm run docs)',
    async (_, section) => {
      expect(sectionOf(read(section.file), section.name, section.file)).toBe(await section.render());
    },
  );

  it('leave no measured figure typed by hand around them', () => {
    const measured = /\d[\d,.]*\s*(ms|µs|s\b|k\/s|M\/s|records\/s|rides\/s|MB|%)/g;
    const typed = [
      handWritten(read('README.md'), '## Performance', '## Development'),
      handWritten(read('bench/README.md'), '## Measured'),
    ].flatMap((text) => text.match(measured) ?? []);
    expect(typed).toEqual([]);
  });

  it('are replaced between their markers only', () => {
    const doc = 'intro\n\n<!-- generated:x begin -->\n\nold\n\n<!-- generated:x end -->\n\nrest\n';
    const updated = replaceSection(doc, 'x', 'new\n');
    expect(updated).toBe('intro\n\n<!-- generated:x begin -->\n\nnew\n\n<!-- generated:x end -->\n\nrest\n');
    expect(sectionOf(updated, 'x')).toBe('new');
    expect(() => sectionOf(doc, 'y', 'doc.md')).toThrow(/doc.md has no generated section 'y'/);
  });
});

describe('fault suite figures', () => {
  const row = (fault: string, file: string): FaultResult => ({ ...skippedResult(fault, ''), skipped: undefined, file });

  it('are committed only after every fault file recorded rows and no test was filtered out', () => {
    const files = ['test/faults/a.test.ts', 'test/faults/b.test.ts'];
    const a = row('fault a', files[0]);
    expect(filesNotCovered(files, [a], false)).toEqual([files[1]]);
    expect(filesNotCovered(files, [a, row('fault b', files[1])], false)).toEqual([]);
    expect(filesNotCovered(files, [a, row('fault b', files[1])], true)).toEqual(files);
  });

  it('show a fault skipped by an opt-out as skipped, with its reason', async () => {
    const run: FaultsRun = {
      ...provenance(),
      files: ['test/faults/broker-faults.test.ts'],
      results: [skippedResult('broker SIGSTOP 30 s', 'FLEET_FAULTS_SKIP_BROKER=1')],
    };
    const table = await faultsSummary(run);
    expect(table).toMatch(/\| broker SIGSTOP 30 s \| skipped +\| +– \|/);
    expect(table).toContain('- broker SIGSTOP 30 s: FLEET_FAULTS_SKIP_BROKER=1');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SECTIONS } from '../../scripts/docs/generate.js';
import { replaceSection, sectionOf } from '../../scripts/docs/sections.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('generated sections', () => {
  it.each(SECTIONS.map((s) => [`${s.file} '${s.name}'`, s] as const))(
    '%s equals what its source renders (npm run docs)',
    async (_, section) => {
      expect(sectionOf(read(section.file), section.name, section.file)).toBe(await section.render());
    },
  );

  it('are replaced between their markers only', () => {
    const doc = 'intro\n\n<!-- generated:x begin -->\n\nold\n\n<!-- generated:x end -->\n\nrest\n';
    const updated = replaceSection(doc, 'x', 'new\n');
    expect(updated).toBe('intro\n\n<!-- generated:x begin -->\n\nnew\n\n<!-- generated:x end -->\n\nrest\n');
    expect(sectionOf(updated, 'x')).toBe('new');
    expect(() => sectionOf(doc, 'y', 'doc.md')).toThrow(/doc.md has no generated section 'y'/);
  });
});


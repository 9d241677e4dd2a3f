/**
 * `npm run docs [-- GROUP...]`: regenerates every generated section of the documentation
 * from its source (test/docs/generated.test.ts fails when a committed section differs).
 *
 * | group  | source                                        | sections                                      |
 * | ------ | --------------------------------------------- | --------------------------------------------- |
 * | config | the services' env schemas                     | README.md `config`                            |
 * | faults | docs/faults.json (the fault suite's teardown) | README.md `faults`, docs/faults.md `faults`   |
 * | bench  | bench/results/latest.json (`npm run bench`)   | README.md `bench`, bench/README.md `bench`    |
 * | demo   | docs/demo-run.json (`npm run docs:demo`)      | README.md `demo`                              |
 * | acls   | `fleetAcls` of @fleet/contract                | README.md `acls`                              |
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aclTable } from './acl-table.js';
import { benchDetail } from './bench-detail.js';
import { benchSummary } from './bench.js';
import { configTable } from './config-table.js';
import { demoSection } from './demo.js';
import { faultsDetail, faultsSummary } from './faults.js';
import { markdown, REPO_ROOT, replaceSection } from './sections.js';

/** The sources of generated sections. */
export const GROUPS = ['config', 'faults', 'bench', 'demo', 'acls'] as const;
export type Group = (typeof GROUPS)[number];

/** One generated section: where it is and how it is rendered from its source. */
export interface GeneratedSection {
  group: Group;
  /** Relative to the repository root. */
  file: string;
  /** The marker name: `<!-- generated:NAME begin -->`. */
  name: string;
  render: () => Promise<string>;
}

/** Every generated section of the repository. */
export const SECTIONS: ReadonlyArray<GeneratedSection> = [
  { group: 'config', file: 'README.md', name: 'config', render: () => markdown([configTable()]) },
  { group: 'faults', file: 'README.md', name: 'faults', render: () => faultsSummary() },
  { group: 'faults', file: 'docs/faults.md', name: 'faults', render: () => faultsDetail() },
  { group: 'bench', file: 'README.md', name: 'bench', render: () => benchSummary() },
  { group: 'bench', file: 'bench/README.md', name: 'bench', render: () => benchDetail() },
  { group: 'demo', file: 'README.md', name: 'demo', render: () => demoSection() },
  { group: 'acls', file: 'README.md', name: 'acls', render: () => aclTable() },
];

/** Rewrites the sections of `groups` in place; returns the files that changed. */
export async function regenerate(groups: ReadonlyArray<Group> = GROUPS): Promise<string[]> {
  const changed: string[] = [];
  for (const file of [...new Set(SECTIONS.map((s) => s.file))]) {
    const path = join(REPO_ROOT, file);
    const before = await readFile(path, 'utf8');
    let text = before;
    for (const section of SECTIONS.filter((s) => s.file === file && groups.includes(s.group))) {
      text = replaceSection(text, section.name, await section.render(), file);
    }
    if (text !== before) {
      await writeFile(path, text);
      changed.push(file);
    }
  }
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0) {
    console.error(`unknown group(s): ${unknown.join(', ')} (known: ${GROUPS.join(', ')})`);
    process.exit(2);
  }
  const changed = await regenerate(asked.length > 0 ? (asked as Group[]) : GROUPS);
  console.log(changed.length > 0 ? `regenerated ${changed.join(', ')}` : 'every generated section is up to date');
}

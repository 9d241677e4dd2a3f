import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADMIN_PRINCIPAL, fleetAcls, PRINCIPALS_WITHOUT_ACLS, SERVICE_PRINCIPALS } from '@fleet/contract';
import { fleetAclBindings } from '@fleet/cli';
import { aclTable, DEFAULT_GROUP_PREFIX, defaultTopics } from '../../scripts/docs/acl-table.js';
import { sectionOf } from '../../scripts/docs/sections.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README table's row of `principal`. */
function row(table: string, principal: string): string {
  return table.split('\n').find((line) => line.startsWith(`| \`${principal}\``)) ?? '';
}

describe("README's ACL table", () => {
  it('is the one `fleet init --acls` applies: every rule of the source in the row of its principal', async () => {
    const table = sectionOf(readme, 'acls', 'README.md');
    expect(table).toBe(await aclTable());
    const rules = fleetAcls(defaultTopics(), DEFAULT_GROUP_PREFIX);
    for (const rule of rules) expect(row(table, rule.principal)).toContain(`${rule.resource} \`${rule.name}`);
    // fleet init applies exactly these: one binding per rule and operation.
    const operations = rules.reduce((n, r) => n + r.operations.length, 0);
    expect(
      fleetAclBindings(
        {
          rides: 'ride_started',
          predictions: 'predictions',
          decisions: 'ride_decisions',
          completed: 'ride_completed',
          health: 'model_health',
        },
        DEFAULT_GROUP_PREFIX,
      ),
    ).toHaveLength(operations);
  });

  it('lists every principal of the secure broker, those without ACLs with the reason', () => {
    const table = sectionOf(readme, 'acls', 'README.md');
    for (const principal of [...SERVICE_PRINCIPALS, ADMIN_PRINCIPAL]) expect(row(table, principal)).not.toBe('');
    for (const [principal, why] of Object.entries(PRINCIPALS_WITHOUT_ACLS)) {
      expect(row(table, principal)).toContain(why);
      expect(fleetAcls(defaultTopics(), DEFAULT_GROUP_PREFIX).filter((r) => r.principal === principal)).toEqual([]);
    }
  });
});

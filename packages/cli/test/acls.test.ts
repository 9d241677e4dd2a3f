// Regression tests of `fleet init --acls`: the groups it granted ignored FLEET_GROUP_PREFIX,
// and it deleted every other ACL of the fleet's principals (another deployment's on a
// shared cluster, or all of them from a shell without that deployment's TOPIC_*).
import { describe, expect, it } from 'vitest';
import { isFleetError } from '@fleet/contract';
import type { AclBinding, AdminClient, FleetTopics } from '@fleet/core';
import { aclLine, applyAcls, fleetAclBindings, keptAclsReport } from '../src/acls.js';
import { initCommand } from '../src/commands/init.js';
import { groupOf, SERVICE_NAMES } from '../src/launcher/index.js';

const TOPICS: FleetTopics = {
  rides: 'ride_started',
  predictions: 'predictions',
  decisions: 'ride_decisions',
  completed: 'ride_completed',
  health: 'model_health',
};

const groupsOf = (bindings: AclBinding[], principal: string) =>
  new Set(
    bindings
      .filter((b) => b.principal === `User:${principal}` && b.resourceType === 'GROUP')
      .map((b) => `${b.patternType}:${b.resourceName}`),
  );

/** An admin client over an in-memory ACL list, recording what it was asked to delete. */
function fakeAdmin(initial: AclBinding[]) {
  let acls = [...initial];
  const deleteCalls: AclBinding[][] = [];
  const admin = {
    describeAcls: async () => [...acls],
    createAcls: async (bindings: readonly AclBinding[]) => {
      const have = new Set(acls.map(aclLine));
      acls.push(...bindings.filter((b) => !have.has(aclLine(b))));
    },
    deleteAcls: async (bindings: readonly AclBinding[]) => {
      deleteCalls.push([...bindings]);
      const gone = new Set(bindings.map(aclLine));
      acls = acls.filter((b) => !gone.has(aclLine(b)));
    },
  } as unknown as AdminClient;
  return { admin, deleteCalls, listed: () => acls.map(aclLine).sort() };
}

const grant = (principal: string, resourceName: string): AclBinding => ({
  principal,
  resourceType: 'TOPIC',
  resourceName,
  patternType: 'LITERAL',
  operation: 'WRITE',
  permission: 'ALLOW',
});

describe('the ACLs of fleet init --acls', () => {
  it("grant each service the group the CLI launcher gives it under FLEET_GROUP_PREFIX, and its shadows' groups", () => {
    const bindings = fleetAclBindings(TOPICS, 'staging');
    for (const service of SERVICE_NAMES) {
      const groups = groupsOf(bindings, service);
      expect(groups, service).toContain(`LITERAL:${groupOf(service, 'staging')}`);
      expect(
        [...groups].some((g) => g.includes('fleet.' + service)),
        `${service}: no fleet.* group`,
      ).toBe(false);
    }
    // A shadow or a backfill reads in <prefix>.<model>.<kind>-<version>.
    expect(groupsOf(bindings, 'duration')).toContain(`PREFIXED:${groupOf('duration', 'staging')}.`);
    // The readers' and the backend's groups have fixed prefixes, whatever the services' prefix.
    expect(groupsOf(bindings, 'decision')).toContain('PREFIXED:fleet.reader.');
    expect(groupsOf(bindings, 'backend')).toEqual(new Set(['PREFIXED:fleet.backend.']));
    expect(fleetAclBindings(TOPICS, 'fleet').map(aclLine)).toContain('User:tip ALLOW READ GROUP:LITERAL:fleet.tip');
  });

  it("without --prune keep the fleet principals' other ACLs, and say which and how to delete them", async () => {
    const otherDeployment = fleetAclBindings({ ...TOPICS, rides: 'blue_rides' }, 'blue');
    const someoneElse = grant('User:analytics', 'ride_decisions');
    const { admin, deleteCalls, listed } = fakeAdmin([...otherDeployment, someoneElse]);
    const changes = await applyAcls(admin, { topics: TOPICS, groupPrefix: 'fleet' });
    const want = fleetAclBindings(TOPICS, 'fleet').map(aclLine);
    const strays = otherDeployment.map(aclLine).filter((line) => !want.includes(line));
    expect(strays.length).toBeGreaterThan(0);
    expect(changes.deleted).toEqual([]);
    expect(deleteCalls.flat()).toEqual([]);
    expect(changes.kept.map(aclLine).sort()).toEqual(strays.sort());
    expect(listed()).toEqual([...new Set([...want, ...otherDeployment.map(aclLine), aclLine(someoneElse)])].sort());
    const report = keptAclsReport(changes.kept);
    expect(report).toContain('ACL kept, not in the rules: User:duration ALLOW READ GROUP:LITERAL:blue.duration');
    expect(report.at(-1)).toMatch(/were kept\. If they are stray, delete them: npx fleet init --acls --prune/);
    expect(keptAclsReport([])).toEqual([]);
  });

  it("with --prune make the fleet principals' ACLs exactly the rules, others' left alone", async () => {
    const stray = grant('User:tip', 'granted_by_hand');
    const someoneElse = grant('User:analytics', 'ride_decisions');
    const { admin, listed } = fakeAdmin([stray, someoneElse]);
    const changes = await applyAcls(admin, { topics: TOPICS, groupPrefix: 'fleet', prune: true });
    expect(changes.deleted).toEqual([stray]);
    expect(changes.kept).toEqual([]);
    expect(listed()).toEqual([...fleetAclBindings(TOPICS, 'fleet').map(aclLine), aclLine(someoneElse)].sort());
  });

  it('refuses --prune without --acls before connecting to anything', async () => {
    const err = await initCommand.run(['--prune']).catch((e: unknown) => e);
    expect(isFleetError(err, 'FLEET_INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toBe('--prune goes with --acls');
  });
});

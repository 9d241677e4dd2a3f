import kafkajs, { type Admin, type AclEntry } from 'kafkajs';
import type { AclBinding, AdminClient } from './types.js';

// Not named exports Node can see in kafkajs' CommonJS module: read off the module object.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const ANY = {
  resourceType: AclResourceTypes.ANY,
  resourcePatternType: ResourcePatternTypes.ANY,
  operation: AclOperationTypes.ANY,
  permissionType: AclPermissionTypes.ANY,
} as const;

/** kafkajs' numeric enums are keyed by Kafka's names, the seam's strings. */
function toEntry(b: AclBinding): AclEntry {
  return {
    principal: b.principal,
    host: '*',
    resourceType: AclResourceTypes[b.resourceType],
    resourceName: b.resourceName,
    resourcePatternType: ResourcePatternTypes[b.patternType],
    operation: AclOperationTypes[b.operation],
    permissionType: AclPermissionTypes[b.permission],
  };
}

/** Name of a value of one of kafkajs' enums (plain objects at run time: no reverse mapping). */
function nameOf<T extends string>(values: Record<string, unknown>, value: number): T {
  return Object.keys(values).find((k) => values[k] === value) as T;
}

function fromEntry(e: AclEntry): AclBinding {
  return {
    principal: e.principal,
    resourceType: nameOf(AclResourceTypes, e.resourceType),
    resourceName: e.resourceName,
    patternType: nameOf(ResourcePatternTypes, e.resourcePatternType),
    operation: nameOf(AclOperationTypes, e.operation),
    permission: nameOf(AclPermissionTypes, e.permissionType),
  };
}

/** The ACL calls of the seam's {@link AdminClient} on a connected kafkajs admin. */
export function kafkajsAcls(admin: Admin): Required<Pick<AdminClient, 'describeAcls' | 'createAcls' | 'deleteAcls'>> {
  return {
    async describeAcls() {
      const { resources } = await admin.describeAcls(ANY);
      return resources.flatMap((r) => r.acls.map((acl) => fromEntry({ ...r, ...acl })));
    },
    async createAcls(bindings) {
      if (bindings.length > 0) await admin.createAcls({ acl: bindings.map(toEntry) });
    },
    async deleteAcls(bindings) {
      if (bindings.length > 0) await admin.deleteAcls({ filters: bindings.map(toEntry) });
    },
  };
}

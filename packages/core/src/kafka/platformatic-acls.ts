import {
  AclOperations,
  AclPermissionTypes,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl,
  type Admin,
} from '@platformatic/kafka';
import type { AclBinding, AdminClient } from './types.js';

/** The filter that matches every ACL of the cluster. */
const ANY = {
  resourceType: ResourceTypes.ANY,
  resourceName: null,
  resourcePatternType: ResourcePatternTypes.ANY,
  principal: null,
  host: null,
  operation: AclOperations.ANY,
  permissionType: AclPermissionTypes.ANY,
};

/** An ACL of the seam as the library takes it: its numeric enums are keyed by Kafka's names, the seam's strings. */
export function toAcl(b: AclBinding): Acl {
  return {
    principal: b.principal,
    host: '*',
    resourceType: ResourceTypes[b.resourceType],
    resourceName: b.resourceName,
    resourcePatternType: ResourcePatternTypes[b.patternType],
    operation: AclOperations[b.operation],
    permissionType: AclPermissionTypes[b.permission],
  };
}

/** Name of a value of one of the library's enums (plain objects: no reverse mapping). */
function nameOf<T extends string>(values: Record<string, number>, value: number): T {
  return Object.keys(values).find((k) => values[k] === value) as T;
}

/** An ACL of the broker as the seam's {@link AclBinding}. */
export function fromAcl(a: Acl): AclBinding {
  return {
    principal: a.principal,
    resourceType: nameOf(ResourceTypes, a.resourceType),
    resourceName: a.resourceName,
    patternType: nameOf(ResourcePatternTypes, a.resourcePatternType),
    operation: nameOf(AclOperations, a.operation),
    permission: nameOf(AclPermissionTypes, a.permissionType),
  };
}

/** The ACL calls of the seam's {@link AdminClient} on a @platformatic/kafka admin. */
export function platformaticAcls(
  admin: Admin,
): Required<Pick<AdminClient, 'describeAcls' | 'createAcls' | 'deleteAcls'>> {
  return {
    async describeAcls() {
      const resources = await admin.describeAcls({ filter: ANY });
      return resources.flatMap((r) => r.acls.map((acl) => fromAcl({ ...r, ...acl })));
    },
    async createAcls(bindings) {
      if (bindings.length > 0) await admin.createAcls({ creations: bindings.map(toAcl) });
    },
    async deleteAcls(bindings) {
      if (bindings.length > 0) await admin.deleteAcls({ filters: bindings.map(toAcl) });
    },
  };
}

// In-memory directory and inventory for tests, the bench and the demo until identity and inventory are wired.
// They implement the same narrow interfaces the composition root adapts the real services to.
import type { Permission } from '../platform/permissions.js';
import type { AccessAccount, AccessActor, AccessDirectory, AccessInventory, AccessTarget, AccessUser } from './types.js';

export interface FixtureDirectory extends AccessDirectory {
  users: Map<string, AccessUser>;
  permissions: Map<string, Set<Permission>>;
  add(user: Partial<AccessUser> & { id: string }, permissions?: Permission[]): AccessUser;
  grant(userId: string, permission: Permission): void;
  revoke(userId: string, permission: Permission): void;
  actor(userId: string, options?: { mfaVerifiedAt?: number | null }): AccessActor;
}

export function createFixtureDirectory(): FixtureDirectory {
  const users = new Map<string, AccessUser>();
  const permissions = new Map<string, Set<Permission>>();
  const directory: FixtureDirectory = {
    users,
    permissions,
    add(partial, perms = []) {
      const user: AccessUser = {
        username: partial.id,
        displayName: partial.id,
        email: `${partial.id}@hospital.example`,
        managerId: null,
        status: 'active',
        kind: 'human',
        ...partial,
      };
      users.set(user.id, user);
      permissions.set(user.id, new Set(perms));
      return user;
    },
    grant: (userId, permission) => void permissions.get(userId)?.add(permission),
    revoke: (userId, permission) => void permissions.get(userId)?.delete(permission),
    actor(userId, options = {}) {
      const user = users.get(userId);
      if (!user) throw new Error(`no fixture user ${userId}`);
      return {
        userId,
        username: user.username,
        kind: user.kind,
        permissions: new Set(permissions.get(userId)),
        mfaVerifiedAt: options.mfaVerifiedAt === undefined ? null : options.mfaVerifiedAt,
      };
    },
    async getUser(idOrName) {
      return users.get(idOrName) ?? [...users.values()].find((u) => u.username === idOrName) ?? null;
    },
    async hasPermission(userId, permission) {
      return permissions.get(userId)?.has(permission) ?? false;
    },
    async usersWithPermission(permission) {
      return [...users.values()].filter((u) => u.status === 'active' && permissions.get(u.id)?.has(permission));
    },
  };
  return directory;
}

export interface FixtureInventory extends AccessInventory {
  targets: Map<string, AccessTarget>;
  add(target: Partial<AccessTarget> & { id: string }, accounts?: string[]): AccessTarget;
}

export function createFixtureInventory(): FixtureInventory {
  const targets = new Map<string, AccessTarget>();
  const accounts = new Map<string, AccessAccount[]>();
  const zones = new Map<string, string>();
  return {
    targets,
    add(partial, names = []) {
      const target: AccessTarget = { name: partial.id, zoneId: 'zone-it', zoneName: 'it', riskTier: 'low', clinicalCritical: false, ownerId: null, ...partial };
      targets.set(target.id, target);
      zones.set(target.zoneId, target.zoneName);
      accounts.set(target.id, names.map((name) => ({ id: `${target.id}/${name}`, name, targetId: target.id })));
      return target;
    },
    async getTarget(idOrName) {
      return targets.get(idOrName) ?? [...targets.values()].find((t) => t.name.toLowerCase() === idOrName.toLowerCase()) ?? null;
    },
    async getAccount(targetId, idOrName) {
      return accounts.get(targetId)?.find((a) => a.id === idOrName || a.name === idOrName) ?? null;
    },
    async getZone(idOrName) {
      for (const [id, name] of zones) if (id === idOrName || name === idOrName) return { id, name };
      return null;
    },
  };
}

/** The hospital the tests and the bench share: an IT zone, an ICU zone, targets of every risk tier. */
export function seedHospital(directory: FixtureDirectory, inventory: FixtureInventory) {
  const requester: Permission[] = ['access.request'];
  const approver: Permission[] = ['access.request', 'access.approve'];
  directory.add({ id: 'maria', displayName: 'Maria (manager)' }, [...approver, 'access.reviews']);
  directory.add({ id: 'alice', managerId: 'maria' }, [...requester, 'access.breakglass']);
  directory.add({ id: 'bob' }, approver);
  directory.add({ id: 'carol' }, approver);
  directory.add({ id: 'eve' }, approver);
  directory.add({ id: 'owen', displayName: 'Owen (EHR owner)' }, approver);
  directory.add({ id: 'sam', displayName: 'Sam (security)' }, ['access.revoke', 'access.reviews', 'access.approve']);
  directory.add({ id: 'dave', managerId: 'maria' }, requester);
  directory.add({ id: 'vic', kind: 'vendor' }, [...requester, 'access.breakglass']);
  inventory.add({ id: 'wiki-01', riskTier: 'low' }, ['root']);
  inventory.add({ id: 'lab-app', riskTier: 'moderate' }, ['admin']);
  inventory.add({ id: 'ehr-db', riskTier: 'high', ownerId: 'owen' }, ['postgres']);
  inventory.add({ id: 'pacs', riskTier: 'critical', ownerId: 'owen', zoneId: 'zone-icu', zoneName: 'icu', clinicalCritical: true }, ['root']);
  inventory.add({ id: 'infusion-gw', riskTier: 'high', zoneId: 'zone-icu', zoneName: 'icu', clinicalCritical: true }, ['service']);
}

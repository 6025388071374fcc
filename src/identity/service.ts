// Users, groups, roles and role assignments, and the directory read model built from them.
// Every change is one transaction, is audited, and tells the policy engine the directory changed.
import { WardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { isPermission, type Permission } from '../platform/permissions.js';
import { normalizeName } from '../platform/text.js';
import { isUniqueViolation } from '../platform/database/index.js';
import type { IdentityContext } from './context.js';
import {
  loadSnapshot,
  parentsIndex,
  toAssignment,
  toGroup,
  toRole,
  toUser,
  transitiveGroupIds,
  type DirectorySnapshot,
} from './store.js';
import type { PasswordHasher } from './auth/password.js';
import { assertStrongPassword } from './auth/password.js';
import type {
  Actor,
  Directory,
  DirectoryUser,
  Group,
  GroupMember,
  MemberType,
  NewUser,
  Role,
  RoleAssignment,
  User,
  UserChanges,
} from './types.js';

/** Letters and digits first, then letters, digits, `.`, `_`, `-`, `@`; checked after NFKC so full-width forms pass and collide. */
const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u;
const GROUP_OR_ROLE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._:-]{0,79}$/u;
/** Multi-node freshness: another node's change shows up here within this time. */
const SNAPSHOT_MAX_AGE_MS = 5_000;

function checkUsername(username: string): string {
  const normalized = normalizeName(username);
  if (!USERNAME.test(username.normalize('NFKC').trim()) || !USERNAME.test(normalized)) {
    throw new WardError(
      'VALIDATION_FAILED',
      'A username is 1–64 letters, digits, ".", "_", "-" or "@", starting with a letter or digit.',
    );
  }
  return normalized;
}

function checkName(name: string, what: string): string {
  if (!GROUP_OR_ROLE_NAME.test(name.normalize('NFKC'))) {
    throw new WardError('VALIDATION_FAILED', `A ${what} name is 1–80 letters, digits, spaces, ".", "_", ":" or "-".`);
  }
  return normalizeName(name);
}

function checkText(value: string | null | undefined, what: string, max: number): void {
  if (value === null || value === undefined) return;
  if (value.length > max) throw new WardError('VALIDATION_FAILED', `${what} may be at most ${max} characters.`);
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new WardError('VALIDATION_FAILED', `${what} may not contain control characters.`);
}

function checkPermissions(permissions: readonly string[]): Permission[] {
  const unknown = permissions.filter((p) => !isPermission(p));
  if (unknown.length > 0) {
    throw new WardError('VALIDATION_FAILED', `Unknown permission(s): ${unknown.slice(0, 5).join(', ')}.`, {
      unknown: unknown.slice(0, 20),
    });
  }
  return [...new Set(permissions as Permission[])].sort();
}

export interface DirectoryService {
  createUser(input: NewUser, actor: Actor): Promise<User>;
  updateUser(id: string, changes: UserChanges, actor: Actor): Promise<User>;
  disableUser(id: string, actor: Actor, reason?: string): Promise<User>;
  enableUser(id: string, actor: Actor): Promise<User>;
  getUser(id: string): Promise<User>;
  findUserByUsername(username: string): Promise<User | null>;
  listUsers(options: { limit: number; cursor?: string | undefined; username?: string | undefined }): Promise<{ items: User[]; nextCursor: string | null }>;
  setPassword(userId: string, password: string, actor: Actor): Promise<void>;

  createGroup(input: { name: string; description?: string | undefined }, actor: Actor): Promise<Group>;
  updateGroup(id: string, changes: { name?: string | undefined; description?: string | undefined }, actor: Actor): Promise<Group>;
  deleteGroup(id: string, actor: Actor): Promise<void>;
  getGroup(id: string): Promise<Group & { members: GroupMember[] }>;
  listGroups(): Promise<Group[]>;
  addMember(groupId: string, member: GroupMember, actor: Actor): Promise<void>;
  removeMember(groupId: string, member: GroupMember, actor: Actor): Promise<void>;
  /** Every group the user belongs to, directly or through nested groups. */
  transitiveGroups(userId: string): Promise<Group[]>;

  createRole(
    input: { name: string; description?: string | undefined; permissions: string[]; idleTimeoutSeconds?: number | null | undefined },
    actor: Actor,
  ): Promise<Role>;
  updateRole(
    id: string,
    changes: { name?: string | undefined; description?: string | undefined; permissions?: string[] | undefined; idleTimeoutSeconds?: number | null | undefined },
    actor: Actor,
  ): Promise<Role>;
  getRole(id: string): Promise<Role>;
  findRoleByName(name: string): Promise<Role | null>;
  listRoles(): Promise<Role[]>;
  assignRole(
    input: { roleId: string; subjectType: MemberType; subjectId: string; expiresAt?: number | null | undefined },
    actor: Actor,
  ): Promise<RoleAssignment>;
  unassignRole(assignmentId: string, actor: Actor): Promise<void>;
  listAssignments(filter: { roleId?: string | undefined; subjectType?: MemberType | undefined; subjectId?: string | undefined }): Promise<RoleAssignment[]>;

  /** The policy engine's read model; rebuilt lazily after changes. */
  directory(): Promise<Directory>;
  /** Permissions and the effective idle timeout of one user right now (from the read model). */
  effectiveAccess(userId: string): Promise<{ user: DirectoryUser; idleTimeoutSeconds: number } | null>;
}

export function createDirectoryService(
  ctx: IdentityContext,
  hooks: { passwords: PasswordHasher; onUserDisabled: (userId: string, actor: Actor) => Promise<void> },
): DirectoryService & { invalidate(): void } {
  const { db, clock } = ctx;
  let version = 1;
  let snapshot: { data: DirectorySnapshot; version: number; loadedAt: number } | undefined;
  let loading: Promise<DirectorySnapshot> | undefined;
  let blocking: { version: number; data: Promise<DirectorySnapshot> } | undefined;
  let computed: { directory: Directory; idle: Map<string, number> } | undefined;

  function invalidate() {
    version += 1;
    snapshot = undefined;
    computed = undefined;
  }

  async function currentSnapshot(): Promise<{ data: DirectorySnapshot; version: number }> {
    const now = clock.now();
    if (snapshot && snapshot.version === version) {
      // Other nodes' changes: refresh in the background and keep answering from the current snapshot meanwhile,
      // so no request waits for a periodic reload. Local changes invalidate and wait (below).
      if (now - snapshot.loadedAt >= SNAPSHOT_MAX_AGE_MS && !loading) {
        const startedVersion = version;
        loading = loadSnapshot(db)
          .then((data) => {
            if (startedVersion === version) {
              snapshot = { data, version, loadedAt: clock.now() };
              computed = undefined;
            }
            return data;
          })
          .catch(() => snapshot?.data as DirectorySnapshot)
          .finally(() => (loading = undefined));
      }
      return snapshot;
    }
    const startedVersion = version;
    // Concurrent callers after a change share one load.
    if (!blocking || blocking.version !== startedVersion) blocking = { version: startedVersion, data: loadSnapshot(db) };
    const pending = blocking;
    const data = await pending.data.finally(() => {
      if (blocking === pending) blocking = undefined;
    });
    if (startedVersion === version) {
      snapshot = { data, version, loadedAt: now };
      computed = undefined;
    }
    return { data, version: startedVersion };
  }

  function build(data: DirectorySnapshot, at: number, ver: number): { directory: Directory; idle: Map<string, number> } {
    const parents = parentsIndex(data.members);
    const rolesById = new Map(data.roles.map((r) => [r.id, r]));
    const assignmentsBySubject = new Map<string, RoleAssignment[]>();
    let validUntil: number | null = null;
    const horizon = (t: number | null) => {
      if (t !== null && t > at && (validUntil === null || t < validUntil)) validUntil = t;
    };
    for (const a of data.assignments) {
      horizon(a.expiresAt);
      if (a.expiresAt !== null && a.expiresAt <= at) continue;
      const key = `${a.subjectType}:${a.subjectId}`;
      const list = assignmentsBySubject.get(key);
      if (list) list.push(a);
      else assignmentsBySubject.set(key, [a]);
    }
    const users: DirectoryUser[] = [];
    const idle = new Map<string, number>();
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    // Each group's ancestors are computed once, and people with the same direct groups share one computed result
    // (arrays are frozen and shared), so a 5,000-person directory rebuilds in milliseconds.
    const groupRefs = new Map(data.groups.map((g) => [g.id, Object.freeze({ id: g.id, name: g.name })]));
    const ancestors = new Map<string, Set<string>>();
    const ancestorsOf = (groupId: string) => {
      let set = ancestors.get(groupId);
      if (!set) ancestors.set(groupId, (set = transitiveGroupIds(parents, { type: 'group', id: groupId })));
      return set;
    };
    type Resolved = { roles: DirectoryUser['roles']; permissions: Permission[]; idleTimeout: number };
    const resolve = (entries: readonly RoleAssignment[]): Resolved => {
      const roles = new Map<string, { id: string; name: string; expiresAt: number | null }>();
      const permissions = new Set<Permission>();
      let idleTimeout = ctx.settings.idleTimeoutSeconds;
      for (const a of entries) {
        const role = rolesById.get(a.roleId);
        if (!role) continue;
        const existing = roles.get(role.id);
        // The same role through two paths lasts as long as the longer of them.
        const expiresAt = existing === undefined ? a.expiresAt : existing.expiresAt === null || a.expiresAt === null ? null : Math.max(existing.expiresAt, a.expiresAt);
        roles.set(role.id, { id: role.id, name: role.name, expiresAt });
        for (const p of role.permissions) permissions.add(p);
        if (role.idleTimeoutSeconds !== null) idleTimeout = Math.min(idleTimeout, role.idleTimeoutSeconds);
      }
      return {
        roles: Object.freeze([...roles.values()].sort(byName)) as DirectoryUser['roles'],
        permissions: Object.freeze([...permissions].sort()) as Permission[],
        idleTimeout,
      };
    };
    type Combo = { groups: DirectoryUser['groups']; entries: RoleAssignment[]; resolved?: Resolved };
    const combos = new Map<string, Combo>();
    const comboOf = (direct: readonly string[]): Combo => {
      const key = direct.length <= 1 ? (direct[0] ?? '') : [...direct].sort().join(',');
      let combo = combos.get(key);
      if (combo) return combo;
      const ids = new Set<string>();
      for (const groupId of direct) {
        ids.add(groupId);
        for (const ancestor of ancestorsOf(groupId)) ids.add(ancestor);
      }
      const groups = [...ids].map((id) => groupRefs.get(id) ?? { id, name: id }).sort(byName);
      const entries: RoleAssignment[] = [];
      for (const id of ids) for (const a of assignmentsBySubject.get(`group:${id}`) ?? []) entries.push(a);
      combos.set(key, (combo = { groups: Object.freeze(groups) as DirectoryUser['groups'], entries }));
      return combo;
    };
    for (const user of data.users) {
      horizon(user.expiresAt);
      const combo = comboOf(parents.get(`user:${user.id}`) ?? []);
      const own = assignmentsBySubject.get(`user:${user.id}`);
      const resolved = own ? resolve([...own, ...combo.entries]) : (combo.resolved ??= resolve(combo.entries));
      idle.set(user.id, resolved.idleTimeout);
      users.push({
        id: user.id,
        username: user.username,
        displayName: user.displayName,
        kind: user.kind,
        department: user.department,
        managerId: user.managerId,
        status: user.status,
        expiresAt: user.expiresAt,
        groups: combo.groups,
        roles: resolved.roles,
        permissions: resolved.permissions,
      });
    }
    return { directory: { version: ver, validUntil, users, byId: new Map(users.map((u) => [u.id, u])) }, idle };
  }

  async function computedNow() {
    const { data, version: ver } = await currentSnapshot();
    const at = clock.now();
    if (computed && computed.directory.version === ver && (computed.directory.validUntil === null || at < computed.directory.validUntil)) {
      return computed;
    }
    const result = build(data, at, ver);
    if (ver === version) computed = result;
    return result;
  }

  async function requireUser(id: string): Promise<User> {
    const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new WardError('NOT_FOUND', 'No such user.');
    return toUser(row);
  }

  async function requireGroup(id: string): Promise<Group> {
    const row = await db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new WardError('NOT_FOUND', 'No such group.');
    return toGroup(row);
  }

  async function requireRole(id: string): Promise<Role> {
    const row = await db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new WardError('NOT_FOUND', 'No such role.');
    return toRole(row);
  }

  function changed() {
    invalidate();
    ctx.directoryChanged();
  }

  async function setStatus(id: string, status: 'active' | 'disabled', actor: Actor, reason?: string): Promise<User> {
    const user = await requireUser(id);
    if (user.status === status) return user;
    const now = clock.now();
    await db.updateTable('users').set({ status, updated_at: now }).where('id', '=', id).execute();
    changed();
    await ctx.record({
      action: status === 'disabled' ? 'identity.user.disabled' : 'identity.user.enabled',
      actor,
      target: { type: 'user', id, name: user.username },
      ...(reason ? { details: { reason } } : {}),
    });
    if (status === 'disabled') {
      ctx.events.publish('identity.user.disabled', { userId: id, reason: reason ?? 'disabled by an administrator' });
      await hooks.onUserDisabled(id, actor);
    }
    return { ...user, status, updatedAt: now };
  }

  return {
    invalidate,

    async createUser(input, actor) {
      const normalized = checkUsername(input.username);
      checkText(input.displayName, 'The display name', 200);
      if (input.displayName.trim() === '') throw new WardError('VALIDATION_FAILED', 'The display name may not be empty.');
      checkText(input.email, 'The email', 254);
      if (input.email && !/^[^\s@]+@[^\s@]+$/.test(input.email)) throw new WardError('VALIDATION_FAILED', 'The email is not an address.');
      checkText(input.department, 'The department', 200);
      if (input.managerId) await requireUser(input.managerId).catch(() => {
        throw new WardError('VALIDATION_FAILED', 'The manager is not a known user.');
      });
      let passwordHash: string | null = null;
      if (input.password !== undefined) {
        assertStrongPassword(input.password, [input.username, input.displayName, input.email ?? '']);
        passwordHash = await hooks.passwords.hash(input.password);
      }
      const now = clock.now();
      const row = {
        id: newId(),
        username: input.username.normalize('NFKC').trim(),
        username_normalized: normalized,
        display_name: input.displayName.trim(),
        email: input.email ?? null,
        kind: input.kind ?? 'human',
        department: input.department ?? null,
        manager_id: input.managerId ?? null,
        status: 'active' as const,
        expires_at: input.expiresAt ?? null,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
      };
      try {
        await db.insertInto('users').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new WardError('USERNAME_TAKEN', `The username "${input.username}" is taken (case and Unicode form do not count).`);
        }
        throw error;
      }
      changed();
      const { password_hash: _hash, ...safe } = row;
      const user = toUser({ ...safe, password_hash: null });
      await ctx.record({
        action: 'identity.user.created',
        actor,
        target: { type: 'user', id: user.id, name: user.username },
        details: { kind: user.kind, department: user.department, expiresAt: user.expiresAt, hasPassword: passwordHash !== null },
      });
      return user;
    },

    async updateUser(id, changes, actor) {
      const user = await requireUser(id);
      checkText(changes.displayName, 'The display name', 200);
      if (changes.displayName !== undefined && changes.displayName.trim() === '') {
        throw new WardError('VALIDATION_FAILED', 'The display name may not be empty.');
      }
      checkText(changes.email, 'The email', 254);
      if (changes.email && !/^[^\s@]+@[^\s@]+$/.test(changes.email)) throw new WardError('VALIDATION_FAILED', 'The email is not an address.');
      checkText(changes.department, 'The department', 200);
      if (changes.managerId) {
        if (changes.managerId === id) throw new WardError('VALIDATION_FAILED', 'A user cannot manage themselves.');
        await requireUser(changes.managerId).catch(() => {
          throw new WardError('VALIDATION_FAILED', 'The manager is not a known user.');
        });
      }
      const set: Record<string, unknown> = {};
      if (changes.displayName !== undefined) set.display_name = changes.displayName.trim();
      if (changes.email !== undefined) set.email = changes.email;
      if (changes.department !== undefined) set.department = changes.department;
      if (changes.managerId !== undefined) set.manager_id = changes.managerId;
      if (changes.expiresAt !== undefined) set.expires_at = changes.expiresAt;
      if (Object.keys(set).length === 0) return user;
      const now = clock.now();
      await db.updateTable('users').set({ ...set, updated_at: now }).where('id', '=', id).execute();
      changed();
      await ctx.record({
        action: 'identity.user.updated',
        actor,
        target: { type: 'user', id, name: user.username },
        details: { fields: Object.keys(changes).filter((k) => (changes as Record<string, unknown>)[k] !== undefined) },
      });
      return requireUser(id);
    },

    disableUser: (id, actor, reason) => setStatus(id, 'disabled', actor, reason),
    enableUser: (id, actor) => setStatus(id, 'active', actor),
    getUser: requireUser,

    async findUserByUsername(username) {
      const row = await db.selectFrom('users').selectAll().where('username_normalized', '=', normalizeName(username)).executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async listUsers({ limit, cursor, username }) {
      let query = db.selectFrom('users').selectAll().orderBy('id').limit(limit + 1);
      if (cursor) query = query.where('id', '>', cursor);
      if (username !== undefined) query = query.where('username_normalized', '=', normalizeName(username));
      const rows = await query.execute();
      const items = rows.slice(0, limit).map(toUser);
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
    },

    async setPassword(userId, password, actor) {
      const user = await requireUser(userId);
      assertStrongPassword(password, [user.username, user.displayName, user.email ?? '']);
      const passwordHash = await hooks.passwords.hash(password);
      await db.updateTable('users').set({ password_hash: passwordHash, updated_at: clock.now() }).where('id', '=', userId).execute();
      await ctx.record({
        action: 'identity.user.password.changed',
        actor,
        target: { type: 'user', id: userId, name: user.username },
        details: { self: actor.principal?.userId === userId },
      });
    },

    async createGroup(input, actor) {
      const normalized = checkName(input.name, 'group');
      checkText(input.description, 'The description', 1000);
      const now = clock.now();
      const row = { id: newId(), name: input.name.trim(), name_normalized: normalized, description: input.description ?? '', created_at: now, updated_at: now };
      try {
        await db.insertInto('groups').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('NAME_TAKEN', `A group named "${input.name}" exists.`);
        throw error;
      }
      changed();
      await ctx.record({ action: 'identity.group.created', actor, target: { type: 'group', id: row.id, name: row.name } });
      return toGroup(row);
    },

    async updateGroup(id, changes, actor) {
      const group = await requireGroup(id);
      const set: Record<string, unknown> = {};
      if (changes.name !== undefined) {
        set.name_normalized = checkName(changes.name, 'group');
        set.name = changes.name.trim();
      }
      if (changes.description !== undefined) {
        checkText(changes.description, 'The description', 1000);
        set.description = changes.description;
      }
      if (Object.keys(set).length === 0) return group;
      try {
        await db.updateTable('groups').set({ ...set, updated_at: clock.now() }).where('id', '=', id).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('NAME_TAKEN', `A group named "${changes.name}" exists.`);
        throw error;
      }
      changed();
      await ctx.record({ action: 'identity.group.updated', actor, target: { type: 'group', id, name: group.name }, details: { fields: Object.keys(set).filter((k) => k !== 'name_normalized') } });
      return requireGroup(id);
    },

    async deleteGroup(id, actor) {
      const group = await requireGroup(id);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('role_assignments').where('subject_type', '=', 'group').where('subject_id', '=', id).execute();
        await trx.deleteFrom('group_members').where('member_type', '=', 'group').where('member_id', '=', id).execute();
        await trx.deleteFrom('group_members').where('group_id', '=', id).execute();
        await trx.deleteFrom('groups').where('id', '=', id).execute();
      });
      changed();
      await ctx.record({ action: 'identity.group.deleted', actor, target: { type: 'group', id, name: group.name } });
    },

    async getGroup(id) {
      const group = await requireGroup(id);
      const members = await db.selectFrom('group_members').select(['member_type', 'member_id']).where('group_id', '=', id).orderBy('member_id').execute();
      return { ...group, members: members.map((m) => ({ type: m.member_type, id: m.member_id })) };
    },

    async listGroups() {
      return (await db.selectFrom('groups').selectAll().orderBy('name_normalized').execute()).map(toGroup);
    },

    async addMember(groupId, member, actor) {
      const group = await requireGroup(groupId);
      if (member.type === 'user') await requireUser(member.id);
      else {
        await requireGroup(member.id);
        // A group may not contain itself, directly or through its members.
        const { data } = await currentSnapshot();
        const ancestors = transitiveGroupIds(parentsIndex(data.members), { type: 'group', id: groupId });
        if (member.id === groupId || ancestors.has(member.id)) {
          throw new WardError('CONFLICT', 'Adding this group would make membership circular.');
        }
      }
      try {
        await db.insertInto('group_members').values({ group_id: groupId, member_type: member.type, member_id: member.id, created_at: clock.now() }).execute();
      } catch (error) {
        if (isUniqueViolation(error)) return;
        throw error;
      }
      changed();
      await ctx.record({ action: 'identity.group.member.added', actor, target: { type: 'group', id: groupId, name: group.name }, details: { memberType: member.type, memberId: member.id } });
    },

    async removeMember(groupId, member, actor) {
      const group = await requireGroup(groupId);
      const result = await db.deleteFrom('group_members').where('group_id', '=', groupId).where('member_type', '=', member.type).where('member_id', '=', member.id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new WardError('NOT_FOUND', 'That member is not in the group.');
      changed();
      await ctx.record({ action: 'identity.group.member.removed', actor, target: { type: 'group', id: groupId, name: group.name }, details: { memberType: member.type, memberId: member.id } });
    },

    async transitiveGroups(userId) {
      const { data } = await currentSnapshot();
      const ids = transitiveGroupIds(parentsIndex(data.members), { type: 'user', id: userId });
      return data.groups.filter((g) => ids.has(g.id));
    },

    async createRole(input, actor) {
      const normalized = checkName(input.name, 'role');
      checkText(input.description, 'The description', 1000);
      const permissions = checkPermissions(input.permissions);
      const now = clock.now();
      const row = {
        id: newId(),
        name: input.name.trim(),
        name_normalized: normalized,
        description: input.description ?? '',
        permissions: JSON.stringify(permissions),
        idle_timeout_seconds: input.idleTimeoutSeconds ?? null,
        created_at: now,
        updated_at: now,
      };
      try {
        await db.insertInto('roles').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('NAME_TAKEN', `A role named "${input.name}" exists.`);
        throw error;
      }
      changed();
      await ctx.record({ action: 'identity.role.created', actor, target: { type: 'role', id: row.id, name: row.name }, details: { permissions, idleTimeoutSeconds: row.idle_timeout_seconds } });
      return toRole(row);
    },

    async updateRole(id, changes, actor) {
      const role = await requireRole(id);
      const set: Record<string, unknown> = {};
      if (changes.name !== undefined) {
        set.name_normalized = checkName(changes.name, 'role');
        set.name = changes.name.trim();
      }
      if (changes.description !== undefined) {
        checkText(changes.description, 'The description', 1000);
        set.description = changes.description;
      }
      if (changes.permissions !== undefined) set.permissions = JSON.stringify(checkPermissions(changes.permissions));
      if (changes.idleTimeoutSeconds !== undefined) set.idle_timeout_seconds = changes.idleTimeoutSeconds;
      if (Object.keys(set).length === 0) return role;
      try {
        await db.updateTable('roles').set({ ...set, updated_at: clock.now() }).where('id', '=', id).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('NAME_TAKEN', `A role named "${changes.name}" exists.`);
        throw error;
      }
      changed();
      const updated = await requireRole(id);
      await ctx.record({
        action: 'identity.role.updated',
        actor,
        target: { type: 'role', id, name: updated.name },
        details: { permissions: updated.permissions, previousPermissions: role.permissions, idleTimeoutSeconds: updated.idleTimeoutSeconds },
      });
      return updated;
    },

    getRole: requireRole,

    async findRoleByName(name) {
      const row = await db.selectFrom('roles').selectAll().where('name_normalized', '=', normalizeName(name)).executeTakeFirst();
      return row ? toRole(row) : null;
    },

    async listRoles() {
      return (await db.selectFrom('roles').selectAll().orderBy('name_normalized').execute()).map(toRole);
    },

    async assignRole(input, actor) {
      const role = await requireRole(input.roleId);
      const subject = input.subjectType === 'user' ? (await requireUser(input.subjectId)).username : (await requireGroup(input.subjectId)).name;
      const now = clock.now();
      if (input.expiresAt !== undefined && input.expiresAt !== null && input.expiresAt <= now) {
        throw new WardError('VALIDATION_FAILED', 'The assignment would expire before it starts.');
      }
      const row = {
        id: newId(),
        role_id: role.id,
        subject_type: input.subjectType,
        subject_id: input.subjectId,
        expires_at: input.expiresAt ?? null,
        created_at: now,
        created_by: actor.principal?.userId ?? null,
      };
      try {
        await db.insertInto('role_assignments').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('CONFLICT', `The role "${role.name}" is already assigned to ${subject}.`);
        throw error;
      }
      changed();
      await ctx.record({
        action: 'identity.role.assigned',
        actor,
        target: { type: input.subjectType, id: input.subjectId, name: subject },
        details: { roleId: role.id, role: role.name, expiresAt: row.expires_at },
      });
      return toAssignment(row);
    },

    async unassignRole(assignmentId, actor) {
      const row = await db.selectFrom('role_assignments').selectAll().where('id', '=', assignmentId).executeTakeFirst();
      if (!row) throw new WardError('NOT_FOUND', 'No such role assignment.');
      await db.deleteFrom('role_assignments').where('id', '=', assignmentId).execute();
      changed();
      await ctx.record({
        action: 'identity.role.unassigned',
        actor,
        target: { type: row.subject_type, id: row.subject_id },
        details: { roleId: row.role_id, assignmentId },
      });
    },

    async listAssignments(filter) {
      let query = db.selectFrom('role_assignments').selectAll().orderBy('id');
      if (filter.roleId) query = query.where('role_id', '=', filter.roleId);
      if (filter.subjectType) query = query.where('subject_type', '=', filter.subjectType);
      if (filter.subjectId) query = query.where('subject_id', '=', filter.subjectId);
      return (await query.execute()).map(toAssignment);
    },

    async directory() {
      return (await computedNow()).directory;
    },

    async effectiveAccess(userId) {
      const result = await computedNow();
      const user = result.directory.byId.get(userId);
      if (!user) return null;
      return { user, idleTimeoutSeconds: result.idle.get(userId) ?? ctx.settings.idleTimeoutSeconds };
    },
  };
}

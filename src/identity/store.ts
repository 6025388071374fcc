// Queries for the directory (users, groups, roles, assignments) and the snapshot the read model is built from.
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../platform/database/index.js';
import type { Permission } from '../platform/permissions.js';
import type { GroupsTable, RoleAssignmentsTable, RolesTable, UsersTable } from './tables.js';
import type { Group, Role, RoleAssignment, User } from './types.js';

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    kind: row.kind,
    department: row.department,
    managerId: row.manager_id,
    status: row.status,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toGroup(row: Selectable<GroupsTable>): Group {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toRole(row: Selectable<RolesTable>): Role {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: JSON.parse(row.permissions) as Permission[],
    idleTimeoutSeconds: row.idle_timeout_seconds === null ? null : Number(row.idle_timeout_seconds),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toAssignment(row: Selectable<RoleAssignmentsTable>): RoleAssignment {
  return {
    id: row.id,
    roleId: row.role_id,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    createdAt: Number(row.created_at),
  };
}

export interface DirectorySnapshot {
  users: User[];
  groups: Group[];
  members: { groupId: string; memberType: 'user' | 'group'; memberId: string }[];
  roles: Role[];
  assignments: RoleAssignment[];
}

/** Reads everything the read model needs in five queries; cheap enough to redo on change. */
export async function loadSnapshot(db: Kysely<Database>): Promise<DirectorySnapshot> {
  const [users, groups, members, roles, assignments] = await Promise.all([
    db.selectFrom('users').selectAll().orderBy('id').execute(),
    db.selectFrom('groups').selectAll().orderBy('id').execute(),
    db.selectFrom('group_members').selectAll().execute(),
    db.selectFrom('roles').selectAll().orderBy('id').execute(),
    db.selectFrom('role_assignments').selectAll().orderBy('id').execute(),
  ]);
  return {
    users: users.map(toUser),
    groups: groups.map(toGroup),
    members: members.map((m) => ({ groupId: m.group_id, memberType: m.member_type, memberId: m.member_id })),
    roles: roles.map(toRole),
    assignments: assignments.map(toAssignment),
  };
}

/** Group ids a member belongs to, directly or through nested groups (cycles are refused on write but tolerated here). */
export function transitiveGroupIds(
  parentsOf: ReadonlyMap<string, readonly string[]>,
  member: { type: 'user' | 'group'; id: string },
): Set<string> {
  const seen = new Set<string>();
  const queue = [...(parentsOf.get(`${member.type}:${member.id}`) ?? [])];
  while (queue.length > 0) {
    const groupId = queue.pop()!;
    if (seen.has(groupId)) continue;
    seen.add(groupId);
    queue.push(...(parentsOf.get(`group:${groupId}`) ?? []));
  }
  return seen;
}

export function parentsIndex(members: DirectorySnapshot['members']): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const m of members) {
    const key = `${m.memberType}:${m.memberId}`;
    const list = parents.get(key);
    if (list) list.push(m.groupId);
    else parents.set(key, [m.groupId]);
  }
  return parents;
}

// Public shapes of the identity domain: users, groups, roles, assignments, sessions, tokens and the directory read model.
import type { Permission } from '../platform/permissions.js';
import type { Principal } from '../server/http/types.js';
import type { MemberType, UserKind, UserStatus } from './tables.js';

export type { MemberType, UserKind, UserStatus };

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  kind: UserKind;
  department: string | null;
  managerId: string | null;
  status: UserStatus;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  username: string;
  displayName: string;
  email?: string | null | undefined;
  kind?: UserKind | undefined;
  department?: string | null | undefined;
  managerId?: string | null | undefined;
  expiresAt?: number | null | undefined;
  password?: string | undefined;
}

export interface UserChanges {
  displayName?: string | undefined;
  email?: string | null | undefined;
  department?: string | null | undefined;
  managerId?: string | null | undefined;
  expiresAt?: number | null | undefined;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  createdAt: number;
  updatedAt: number;
}

export interface GroupMember {
  type: MemberType;
  id: string;
}

export interface Role {
  id: string;
  name: string;
  description: string;
  permissions: Permission[];
  idleTimeoutSeconds: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface RoleAssignment {
  id: string;
  roleId: string;
  subjectType: MemberType;
  subjectId: string;
  expiresAt: number | null;
  createdAt: number;
}

/** One user as the policy engine sees them: transitive groups and the roles active right now. */
export interface DirectoryUser {
  id: string;
  username: string;
  displayName: string;
  kind: UserKind;
  department: string | null;
  managerId: string | null;
  status: UserStatus;
  expiresAt: number | null;
  groups: { id: string; name: string }[];
  roles: { id: string; name: string; expiresAt: number | null }[];
  permissions: Permission[];
}

export interface Directory {
  /** Increases on every identity change seen by this node. */
  version: number;
  /** The read model is exact until this time (the next role assignment or account expiry), epoch ms. */
  validUntil: number | null;
  users: DirectoryUser[];
  byId: ReadonlyMap<string, DirectoryUser>;
}

/** Who is acting, for audit: a principal from the HTTP layer, or the system itself. */
export interface Actor {
  principal?: Principal | null | undefined;
  address?: string | undefined;
  userAgent?: string | undefined;
  /** For system actors (bootstrap, scheduler). */
  system?: string | undefined;
}

export interface SessionInfo {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  idleExpiresAt: number;
  mfaVerifiedAt: number | null;
  address: string | null;
  userAgent: string | null;
  current: boolean;
}

export interface ApiTokenInfo {
  id: string;
  userId: string;
  name: string;
  scopes: Permission[];
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export type LoginResult =
  | { token: string; expiresAt: number }
  | { mfaRequired: true; challenge: string; methods: MfaMethod[] };

export type MfaMethod = 'totp' | 'webauthn' | 'recovery';

// Identity tables (users, groups, roles, credentials, sessions, tokens, throttling), merged into the Database type.
// Timestamps are epoch ms, JSON is text, bytes are blob/bytea, as src/platform/database/schema.ts requires.

export type UserKind = 'human' | 'service' | 'vendor';
export type UserStatus = 'active' | 'disabled';
export type MemberType = 'user' | 'group';

export interface UsersTable {
  id: string;
  username: string;
  username_normalized: string;
  display_name: string;
  email: string | null;
  kind: UserKind;
  department: string | null;
  manager_id: string | null;
  status: UserStatus;
  expires_at: number | null;
  password_hash: string | null;
  created_at: number;
  updated_at: number;
}

export interface GroupsTable {
  id: string;
  name: string;
  name_normalized: string;
  description: string;
  created_at: number;
  updated_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  member_type: MemberType;
  member_id: string;
  created_at: number;
}

export interface RolesTable {
  id: string;
  name: string;
  name_normalized: string;
  description: string;
  /** JSON array of permission names. */
  permissions: string;
  idle_timeout_seconds: number | null;
  created_at: number;
  updated_at: number;
}

export interface RoleAssignmentsTable {
  id: string;
  role_id: string;
  subject_type: MemberType;
  subject_id: string;
  expires_at: number | null;
  created_at: number;
  created_by: string | null;
}

export interface AuthSessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  mfa_verified_at: number | null;
  revoked_at: number | null;
  address: string | null;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  name: string;
  /** JSON array of permission names. */
  scopes: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface TotpFactorsTable {
  id: string;
  user_id: string;
  /** The shared secret, sealed with the factor key (AES-256-GCM) when one is configured. */
  secret: Uint8Array;
  confirmed_at: number | null;
  /** The highest RFC 6238 time step accepted so far; a step at or below it is a replay. */
  last_used_step: number;
  created_at: number;
}

export interface WebauthnCredentialsTable {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Uint8Array;
  counter: number;
  /** JSON array of transports. */
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export type ChallengePurpose = 'login' | 'passkey-login' | 'webauthn-register' | 'step-up';

export interface AuthChallengesTable {
  id: string;
  challenge_hash: string;
  purpose: ChallengePurpose;
  user_id: string | null;
  session_id: string | null;
  webauthn_challenge: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface AuthThrottleTable {
  /** `account:<normalized username>` or `address:<ip>`. */
  key: string;
  failures: number;
  last_failure_at: number;
  blocked_until: number | null;
  locked_until: number | null;
}

export interface MfaPromptsTable {
  id: string;
  user_id: string;
  at: number;
}

export interface SshPublicKeysTable {
  id: string;
  user_id: string;
  algorithm: string;
  /** The key blob, base64 (OpenSSH wire form). */
  public_key: string;
  fingerprint: string;
  comment: string;
  created_at: number;
  last_used_at: number | null;
}

declare module '../platform/database/schema.js' {
  interface Database {
    users: UsersTable;
    groups: GroupsTable;
    group_members: GroupMembersTable;
    roles: RolesTable;
    role_assignments: RoleAssignmentsTable;
    auth_sessions: AuthSessionsTable;
    api_tokens: ApiTokensTable;
    totp_factors: TotpFactorsTable;
    webauthn_credentials: WebauthnCredentialsTable;
    recovery_codes: RecoveryCodesTable;
    auth_challenges: AuthChallengesTable;
    auth_throttle: AuthThrottleTable;
    mfa_prompts: MfaPromptsTable;
    ssh_public_keys: SshPublicKeysTable;
  }
}

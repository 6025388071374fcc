// The identity service: composes the directory, authentication, sessions and throttling behind one object that
// also implements the HTTP layer's Authenticator.
import { WardError, isWardError } from '../platform/errors.js';
import { randomToken } from '../platform/ids.js';
import { allPermissions } from '../platform/permissions.js';
import type { Authenticator, Principal, RequestContext } from '../server/http/types.js';
import { createContext, type IdentityDeps } from './context.js';
import { createDirectoryService, type DirectoryService } from './service.js';
import { createAuthentication, type Authentication } from './auth/authentication.js';
import { createPasswordHasher } from './auth/password.js';
import { createSessions, type Sessions } from './auth/sessions.js';
import { accountKey, createThrottle } from './auth/throttle.js';
import { createSshKeys, type SshKeys } from './auth/ssh-keys.js';
import type { Actor, ApiTokenInfo, SessionInfo, User } from './types.js';

export interface IdentityService extends DirectoryService, Authentication, SshKeys, Authenticator {
  authenticate(token: string, context: RequestContext): Promise<Principal>;
  listSessions(userId: string, currentSessionId?: string): Promise<SessionInfo[]>;
  revokeSession(sessionId: string, actor: Actor, options?: { ownerId?: string | undefined }): Promise<void>;
  revokeAllSessions(userId: string, actor: Actor, options?: { exceptSessionId?: string | undefined; tokensToo?: boolean }): Promise<number>;
  createApiToken(principal: Principal, input: { name: string; scopes: string[]; expiresInSeconds: number }, actor: Actor): Promise<{ token: string; info: ApiTokenInfo }>;
  listApiTokens(userId: string): Promise<ApiTokenInfo[]>;
  revokeApiToken(tokenId: string, actor: Actor, options?: { ownerId?: string | undefined }): Promise<void>;
  idleExpiresAt(userId: string, lastSeenAt: number): Promise<number>;
  /** When the caller's credential ends: absolute expiry and, for sessions, the idle deadline. */
  credentialExpiry(principal: Principal): Promise<{ expiresAt: number; idleExpiresAt: number | null }>;
  /** Clears lockout and back-off for a user (audited `auth.unlock`). */
  unlockUser(userId: string, actor: Actor): Promise<{ wasLocked: boolean }>;
  lockedUntil(userId: string): Promise<number | null>;
  /**
   * When the user last proved a second factor in a session that is still open (epoch ms), or null. The SSH gateway
   * uses it as the MFA age of a key-only login: a fresh proof in the console counts, an old one does not.
   */
  lastMfaAt(userId: string): Promise<number | null>;
}

export type { IdentityDeps };

export function createIdentityService(deps: IdentityDeps): IdentityService {
  let invalidate = () => {};
  const ctx = createContext(deps, () => invalidate());
  const passwords = createPasswordHasher(deps.passwordHashing);
  const directory = createDirectoryService(ctx, {
    passwords,
    // A disabled person loses every session and API token at once (leaver, lock).
    onUserDisabled: async (userId, actor) => {
      await sessions.revokeAll(userId, actor, 'account disabled', { tokensToo: true });
    },
  });
  invalidate = directory.invalidate;
  const throttle = createThrottle(ctx);
  // The closures below run only after both are built.
  const sessions: Sessions = createSessions(ctx, directory, (principal) => authentication.requireFreshMfa(principal));
  const authentication: Authentication = createAuthentication(ctx, { directory, sessions, throttle, passwords });
  const s = sessions;
  const sshKeys = createSshKeys(ctx, (principal) => authentication.requireFreshMfa(principal));

  return {
    ...directory,
    ...authentication,
    ...sshKeys,
    authenticate: (token, context) => s.authenticate(token, context),
    listSessions: (userId, current) => s.list(userId, current),
    async revokeSession(sessionId, actor, options = {}) {
      const session = await s.get(sessionId);
      if (!session || (options.ownerId !== undefined && session.userId !== options.ownerId)) throw new WardError('NOT_FOUND', 'No such session.');
      await s.revoke(sessionId, actor, actor.principal?.userId === session.userId ? 'revoked by its owner' : 'revoked by an administrator');
    },
    revokeAllSessions: (userId, actor, options) => s.revokeAll(userId, actor, actor.principal?.userId === userId ? 'revoked by its owner' : 'revoked by an administrator', options),
    createApiToken: (principal, input, actor) => s.createApiToken(principal, input, actor),
    listApiTokens: (userId) => s.listApiTokens(userId),
    revokeApiToken: (tokenId, actor, options = {}) => s.revokeApiToken(tokenId, actor, options),
    idleExpiresAt: (userId, lastSeenAt) => s.idleExpiresAt(userId, lastSeenAt),
    async credentialExpiry(principal) {
      if (principal.credential.kind === 'api-token') {
        const row = await deps.db.selectFrom('api_tokens').select('expires_at').where('id', '=', principal.credential.id).executeTakeFirst();
        return { expiresAt: Number(row?.expires_at ?? 0), idleExpiresAt: null };
      }
      const row = await deps.db.selectFrom('auth_sessions').select(['expires_at', 'last_seen_at']).where('id', '=', principal.credential.id).executeTakeFirst();
      if (!row) return { expiresAt: 0, idleExpiresAt: null };
      return { expiresAt: Number(row.expires_at), idleExpiresAt: await s.idleExpiresAt(principal.userId, Number(row.last_seen_at)) };
    },
    async unlockUser(userId, actor) {
      const user = await directory.getUser(userId);
      return { wasLocked: await throttle.unlock(user.id, user.username, actor) };
    },
    async lastMfaAt(userId) {
      const now = deps.clock.now();
      const row = await deps.db
        .selectFrom('auth_sessions')
        .select((eb) => eb.fn.max('mfa_verified_at').as('at'))
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row?.at === null || row?.at === undefined ? null : Number(row.at);
    },
    async lockedUntil(userId) {
      const user = await directory.getUser(userId);
      return throttle.isLocked(accountKey(user.username));
    },
  };
}

export const BOOTSTRAP_ADMIN = 'admin';
export const BOOTSTRAP_ROLE = 'ward-admin';

/**
 * Creates the first administrator (`admin`, role `ward-admin` with every permission) if absent. Idempotent. Without a
 * supplied password a strong one-time password is generated and returned once. The HTTP layer's MFA-enrolment gate
 * makes the admin enrol a second factor before anything privileged.
 */
export async function ensureBootstrapAdmin(
  service: IdentityService,
  options: { password?: string | undefined } = {},
): Promise<{ created: boolean; username: 'admin'; oneTimePassword?: string }> {
  const actor: Actor = { system: 'bootstrap' };
  // Two nodes may start at once: whoever loses a uniqueness race reads what the winner wrote.
  let role = await service.findRoleByName(BOOTSTRAP_ROLE);
  if (!role) {
    role = await service
      .createRole({ name: BOOTSTRAP_ROLE, description: 'Ward administrators: every permission.', permissions: allPermissions }, actor)
      .catch(async (error: unknown) => {
        const winner = isWardError(error, 'NAME_TAKEN') ? await service.findRoleByName(BOOTSTRAP_ROLE) : null;
        if (!winner) throw error;
        return winner;
      });
  }
  if (role.permissions.length !== allPermissions.length) {
    // Permissions added by a newer release belong to the admin role too.
    role = await service.updateRole(role.id, { permissions: allPermissions }, actor);
  }
  const existing: User | null = await service.findUserByUsername(BOOTSTRAP_ADMIN);
  if (existing) return { created: false, username: 'admin' };
  const oneTimePassword = options.password === undefined ? `${randomToken(12)}-${randomToken(6)}` : undefined;
  let user: User;
  try {
    user = await service.createUser(
      { username: BOOTSTRAP_ADMIN, displayName: 'Ward administrator', kind: 'human', password: options.password ?? oneTimePassword! },
      actor,
    );
  } catch (error) {
    if (isWardError(error, 'USERNAME_TAKEN')) return { created: false, username: 'admin' };
    throw error;
  }
  await service.assignRole({ roleId: role.id, subjectType: 'user', subjectId: user.id }, actor);
  return oneTimePassword ? { created: true, username: 'admin', oneTimePassword } : { created: true, username: 'admin' };
}

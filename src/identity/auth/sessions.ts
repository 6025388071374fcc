// Bearer sessions and API tokens: creation, resolution to a Principal on every request (idle and absolute limits,
// account status, current permissions), and revocation that takes effect on the next request.
import { WardError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { isPermission, type Permission } from '../../platform/permissions.js';
import type { Principal, RequestContext } from '../../server/http/types.js';
import type { IdentityContext } from '../context.js';
import type { DirectoryService } from '../service.js';
import type { Actor, ApiTokenInfo, SessionInfo } from '../types.js';
import { API_TOKEN_PREFIX, hashToken, newBearer, SESSION_PREFIX } from './tokens.js';

/** Last-seen is written at most this often per session; idle limits are minutes, so seconds of slack do not matter. */
const LAST_SEEN_RESOLUTION_MS = 5_000;
const MAX_API_TOKEN_SECONDS = 366 * 24 * 3600;

export interface Sessions {
  create(userId: string, mfaVerifiedAt: number | null, request: { address?: string | undefined; userAgent?: string | undefined }): Promise<{ token: string; sessionId: string; expiresAt: number }>;
  authenticate(token: string, context: RequestContext): Promise<Principal>;
  markMfaVerified(sessionId: string): Promise<number>;
  list(userId: string, currentSessionId?: string): Promise<SessionInfo[]>;
  get(sessionId: string): Promise<{ id: string; userId: string } | null>;
  revoke(sessionId: string, actor: Actor, reason: string): Promise<void>;
  revokeAll(userId: string, actor: Actor, reason: string, options?: { exceptSessionId?: string | undefined; tokensToo?: boolean }): Promise<number>;
  createApiToken(principal: Principal, input: { name: string; scopes: string[]; expiresInSeconds: number }, actor: Actor): Promise<{ token: string; info: ApiTokenInfo }>;
  listApiTokens(userId: string): Promise<ApiTokenInfo[]>;
  revokeApiToken(tokenId: string, actor: Actor, options: { ownerId?: string | undefined }): Promise<void>;
  idleExpiresAt(userId: string, lastSeenAt: number): Promise<number>;
}

export function createSessions(ctx: IdentityContext, directory: DirectoryService, freshMfa: (principal: Principal) => void): Sessions {
  const { db, clock, settings } = ctx;

  async function access(userId: string) {
    const result = await directory.effectiveAccess(userId);
    if (!result) throw new WardError('AUTH_TOKEN_EXPIRED', 'The account behind this token no longer exists.');
    return result;
  }

  function checkAccount(user: { status: string; expires_at: number | null }, now: number) {
    if (user.status !== 'active') throw new WardError('AUTH_ACCOUNT_DISABLED', 'The account is disabled.');
    if (user.expires_at !== null && Number(user.expires_at) <= now) throw new WardError('AUTH_ACCOUNT_DISABLED', 'The account has expired.');
  }

  async function authenticateSession(token: string): Promise<Principal> {
    const row = await db
      .selectFrom('auth_sessions')
      .innerJoin('users', 'users.id', 'auth_sessions.user_id')
      .select((eb) => [
        'auth_sessions.id',
        'auth_sessions.user_id',
        'auth_sessions.last_seen_at',
        'auth_sessions.expires_at',
        'auth_sessions.revoked_at',
        'auth_sessions.mfa_verified_at',
        'users.username',
        'users.display_name',
        'users.kind',
        'users.status',
        'users.expires_at as user_expires_at',
        eb
          .exists(
            eb
              .selectFrom('totp_factors')
              .select('totp_factors.id')
              .whereRef('totp_factors.user_id', '=', 'auth_sessions.user_id')
              .where('totp_factors.confirmed_at', 'is not', null),
          )
          .as('has_totp'),
        eb
          .exists(eb.selectFrom('webauthn_credentials').select('webauthn_credentials.id').whereRef('webauthn_credentials.user_id', '=', 'auth_sessions.user_id'))
          .as('has_webauthn'),
      ])
      .where('auth_sessions.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row) throw new WardError('AUTH_REQUIRED', 'The token is not valid; sign in again.');
    const now = clock.now();
    if (row.revoked_at !== null) throw new WardError('AUTH_TOKEN_EXPIRED', 'The session was ended; sign in again.');
    if (Number(row.expires_at) <= now) throw new WardError('AUTH_TOKEN_EXPIRED', 'The session reached its maximum lifetime; sign in again.');
    checkAccount({ status: row.status, expires_at: row.user_expires_at }, now);
    const { user, idleTimeoutSeconds } = await access(row.user_id);
    const lastSeen = Number(row.last_seen_at);
    if (now - lastSeen > idleTimeoutSeconds * 1000) {
      throw new WardError('AUTH_TOKEN_EXPIRED', `The session was idle for more than ${Math.round(idleTimeoutSeconds / 60)} minutes; sign in again.`);
    }
    if (now - lastSeen >= LAST_SEEN_RESOLUTION_MS) {
      await db.updateTable('auth_sessions').set({ last_seen_at: now }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    }
    return {
      userId: row.user_id,
      username: row.username,
      displayName: row.display_name,
      kind: row.kind,
      permissions: new Set(user.permissions),
      credential: { kind: 'session', id: row.id },
      mfaEnrolled: Boolean(Number(row.has_totp)) || Boolean(Number(row.has_webauthn)),
      mfaVerifiedAt: row.mfa_verified_at === null ? null : Number(row.mfa_verified_at),
    };
  }

  async function authenticateApiToken(token: string): Promise<Principal> {
    const row = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id',
        'api_tokens.user_id',
        'api_tokens.scopes',
        'api_tokens.expires_at',
        'api_tokens.revoked_at',
        'api_tokens.last_used_at',
        'users.username',
        'users.display_name',
        'users.kind',
        'users.status',
        'users.expires_at as user_expires_at',
      ])
      .where('api_tokens.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row) throw new WardError('AUTH_REQUIRED', 'The API token is not valid.');
    const now = clock.now();
    if (row.revoked_at !== null) throw new WardError('AUTH_TOKEN_EXPIRED', 'The API token was revoked.');
    if (Number(row.expires_at) <= now) throw new WardError('AUTH_TOKEN_EXPIRED', 'The API token has expired.');
    checkAccount({ status: row.status, expires_at: row.user_expires_at }, now);
    const { user } = await access(row.user_id);
    const owner = new Set(user.permissions);
    // A token never holds more than its owner holds today: scopes ∩ current permissions.
    const permissions = new Set((JSON.parse(row.scopes) as Permission[]).filter((p) => owner.has(p)));
    if (row.last_used_at === null || now - Number(row.last_used_at) >= 60_000) {
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
    }
    return {
      userId: row.user_id,
      username: row.username,
      displayName: row.display_name,
      kind: row.kind,
      permissions,
      credential: { kind: 'api-token', id: row.id },
      mfaEnrolled: true,
      mfaVerifiedAt: null,
    };
  }

  function toTokenInfo(row: { id: string; user_id: string; name: string; scopes: string; created_at: number; expires_at: number; revoked_at: number | null; last_used_at: number | null }): ApiTokenInfo {
    return {
      id: row.id,
      userId: row.user_id,
      name: row.name,
      scopes: JSON.parse(row.scopes) as Permission[],
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    };
  }

  const sessions: Sessions = {
    async create(userId, mfaVerifiedAt, request) {
      const now = clock.now();
      const { token, hash } = newBearer(SESSION_PREFIX);
      const id = newId();
      const expiresAt = now + settings.absoluteLifetimeSeconds * 1000;
      await db
        .insertInto('auth_sessions')
        .values({
          id,
          token_hash: hash,
          user_id: userId,
          created_at: now,
          last_seen_at: now,
          expires_at: expiresAt,
          mfa_verified_at: mfaVerifiedAt,
          revoked_at: null,
          address: request.address?.slice(0, 100) ?? null,
          user_agent: request.userAgent?.slice(0, 300) ?? null,
        })
        .execute();
      return { token, sessionId: id, expiresAt };
    },

    async authenticate(token) {
      if (token.startsWith(API_TOKEN_PREFIX)) return authenticateApiToken(token);
      if (token.startsWith(SESSION_PREFIX)) return authenticateSession(token);
      throw new WardError('AUTH_REQUIRED', 'The token is not valid; sign in again.');
    },

    async markMfaVerified(sessionId) {
      const now = clock.now();
      await db.updateTable('auth_sessions').set({ mfa_verified_at: now }).where('id', '=', sessionId).execute();
      return now;
    },

    async idleExpiresAt(userId, lastSeenAt) {
      const result = await directory.effectiveAccess(userId);
      return lastSeenAt + (result?.idleTimeoutSeconds ?? settings.idleTimeoutSeconds) * 1000;
    },

    async list(userId, currentSessionId) {
      const now = clock.now();
      const rows = await db
        .selectFrom('auth_sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .execute();
      const result = await directory.effectiveAccess(userId);
      const idleMs = (result?.idleTimeoutSeconds ?? settings.idleTimeoutSeconds) * 1000;
      return rows
        .filter((r) => now - Number(r.last_seen_at) <= idleMs)
        .map((r) => ({
          id: r.id,
          userId: r.user_id,
          createdAt: Number(r.created_at),
          lastSeenAt: Number(r.last_seen_at),
          expiresAt: Number(r.expires_at),
          idleExpiresAt: Number(r.last_seen_at) + idleMs,
          mfaVerifiedAt: r.mfa_verified_at === null ? null : Number(r.mfa_verified_at),
          address: r.address,
          userAgent: r.user_agent,
          current: r.id === currentSessionId,
        }));
    },

    async get(sessionId) {
      const row = await db.selectFrom('auth_sessions').select(['id', 'user_id']).where('id', '=', sessionId).executeTakeFirst();
      return row ? { id: row.id, userId: row.user_id } : null;
    },

    async revoke(sessionId, actor, reason) {
      const row = await db.selectFrom('auth_sessions').select(['id', 'user_id', 'revoked_at']).where('id', '=', sessionId).executeTakeFirst();
      if (!row) throw new WardError('NOT_FOUND', 'No such session.');
      if (row.revoked_at !== null) return;
      await db.updateTable('auth_sessions').set({ revoked_at: clock.now() }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
      ctx.events.publish('identity.sessions.revoked', { userId: row.user_id, sessionIds: [sessionId] });
      await ctx.record({ action: 'auth.session.revoked', actor, target: { type: 'session', id: sessionId }, details: { userId: row.user_id, reason } });
    },

    async revokeAll(userId, actor, reason, options = {}) {
      const now = clock.now();
      const ids = await db.transaction().execute(async (trx) => {
        let query = trx.selectFrom('auth_sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null);
        if (options.exceptSessionId) query = query.where('id', '!=', options.exceptSessionId);
        const rows = await query.execute();
        const sessionIds = rows.map((r) => r.id);
        if (sessionIds.length > 0) await trx.updateTable('auth_sessions').set({ revoked_at: now }).where('id', 'in', sessionIds).execute();
        if (options.tokensToo) {
          await trx.updateTable('api_tokens').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
        }
        return sessionIds;
      });
      ctx.events.publish('identity.sessions.revoked', { userId, sessionIds: ids });
      await ctx.record({ action: 'auth.session.revoked', actor, target: { type: 'user', id: userId }, details: { count: ids.length, all: true, tokensToo: options.tokensToo === true, reason } });
      return ids.length;
    },

    async createApiToken(principal, input, actor) {
      if (principal.credential.kind !== 'session') throw new WardError('PERMISSION_DENIED', 'API tokens are created by a person in a signed-in session, not by another token.');
      if (!principal.mfaEnrolled) throw new WardError('AUTH_MFA_ENROLMENT_REQUIRED', 'Enrol a second factor before creating API tokens.');
      freshMfa(principal);
      if (input.name.trim() === '' || input.name.length > 100) throw new WardError('VALIDATION_FAILED', 'A token name is 1–100 characters.');
      if (!Number.isInteger(input.expiresInSeconds) || input.expiresInSeconds < 60 || input.expiresInSeconds > MAX_API_TOKEN_SECONDS) {
        throw new WardError('VALIDATION_FAILED', `A token lives between 60 seconds and ${MAX_API_TOKEN_SECONDS} seconds.`);
      }
      const unknown = input.scopes.filter((s) => !isPermission(s));
      if (unknown.length > 0) throw new WardError('VALIDATION_FAILED', `Unknown permission(s): ${unknown.slice(0, 5).join(', ')}.`);
      const scopes = [...new Set(input.scopes as Permission[])].sort();
      if (scopes.length === 0) throw new WardError('VALIDATION_FAILED', 'A token needs at least one scope.');
      const missing = scopes.filter((s) => !principal.permissions.has(s));
      if (missing.length > 0) {
        throw new WardError('PERMISSION_DENIED', `A token cannot hold permissions you lack: ${missing.join(', ')}.`, { permissions: missing });
      }
      const now = clock.now();
      const { token, hash } = newBearer(API_TOKEN_PREFIX);
      const row = { id: newId(), token_hash: hash, user_id: principal.userId, name: input.name.trim(), scopes: JSON.stringify(scopes), created_at: now, expires_at: now + input.expiresInSeconds * 1000, revoked_at: null, last_used_at: null };
      await db.insertInto('api_tokens').values(row).execute();
      await ctx.record({ action: 'auth.token.created', actor, target: { type: 'api-token', id: row.id, name: row.name }, details: { scopes, expiresAt: row.expires_at } });
      return { token, info: toTokenInfo(row) };
    },

    async listApiTokens(userId) {
      const rows = await db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
      return rows.map(toTokenInfo);
    },

    async revokeApiToken(tokenId, actor, { ownerId }) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', tokenId).executeTakeFirst();
      if (!row || (ownerId !== undefined && row.user_id !== ownerId)) throw new WardError('NOT_FOUND', 'No such API token.');
      if (row.revoked_at !== null) return;
      await db.updateTable('api_tokens').set({ revoked_at: clock.now() }).where('id', '=', tokenId).execute();
      await ctx.record({ action: 'auth.token.revoked', actor, target: { type: 'api-token', id: tokenId, name: row.name }, details: { userId: row.user_id } });
    },
  };
  return sessions;
}

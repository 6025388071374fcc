// Signing in: password first, then a second factor (TOTP, passkey or recovery code) when one is enrolled; passkey-only
// sign-in; factor enrolment; step-up proofs for high-risk actions; logout. Every outcome is audited without secrets.
import { WardError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import type { Principal } from '../../server/http/types.js';
import type { IdentityContext } from '../context.js';
import type { DirectoryService } from '../service.js';
import type { Actor, LoginResult, MfaMethod, User } from '../types.js';
import { toUser } from '../store.js';
import type { PasswordHasher } from './password.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery.js';
import type { Sessions } from './sessions.js';
import { accountKey, type Throttle } from './throttle.js';
import { CHALLENGE_PREFIX, hashToken, newBearer } from './tokens.js';
import { base32, matchTotpStep, newTotpSecret, openFactorSecret, sealFactorSecret, totpUri } from './totp.js';
import {
  authenticationOptions,
  registrationOptions,
  responseCredentialId,
  verifyAuthentication,
  verifyRegistration,
  type StoredCredential,
} from './webauthn.js';
import type { ChallengePurpose } from '../tables.js';

export interface MfaState {
  enrolled: boolean;
  totp: boolean;
  webauthnCredentials: number;
  recoveryCodesLeft: number;
}

type TokenResult = { token: string; expiresAt: number };

export interface Authentication {
  login(input: { username: string; password: string }, actor: Actor): Promise<LoginResult>;
  /**
   * Password and TOTP in one step, for the SSH gateway's keyboard-interactive sign-in: the same throttling, lockout
   * and audit as HTTP sign-in, without creating a web session. Throws on any failure.
   */
  verifyPasswordAndTotp(input: { username: string; password: string; totp: string }, actor: Actor): Promise<User>;
  verifyTotpChallenge(challenge: string, code: string, actor: Actor): Promise<TokenResult>;
  webauthnChallengeOptions(challenge: string, actor: Actor): Promise<{ options: unknown }>;
  verifyWebauthnChallenge(challenge: string, response: unknown, actor: Actor): Promise<TokenResult>;
  verifyRecoveryChallenge(challenge: string, code: string, actor: Actor): Promise<TokenResult>;
  passkeyOptions(actor: Actor): Promise<{ challenge: string; options: unknown }>;
  passkeyLogin(challenge: string, response: unknown, actor: Actor): Promise<TokenResult>;
  logout(principal: Principal, actor: Actor): Promise<void>;
  enrolTotp(principal: Principal, actor: Actor): Promise<{ secret: string; uri: string }>;
  confirmTotp(principal: Principal, code: string, actor: Actor): Promise<{ recoveryCodes: string[] | null }>;
  webauthnRegistrationOptions(principal: Principal, actor: Actor): Promise<{ challenge: string; options: unknown }>;
  registerWebauthn(principal: Principal, input: { challenge: string; response: unknown; name?: string | undefined }, actor: Actor): Promise<{ credentialId: string; recoveryCodes: string[] | null }>;
  regenerateRecoveryCodes(principal: Principal, actor: Actor): Promise<string[]>;
  stepUpTotp(principal: Principal, code: string, actor: Actor): Promise<{ mfaVerifiedAt: number }>;
  stepUpWebauthnOptions(principal: Principal, actor: Actor): Promise<{ challenge: string; options: unknown }>;
  stepUpWebauthn(principal: Principal, challenge: string, response: unknown, actor: Actor): Promise<{ mfaVerifiedAt: number }>;
  mfaState(userId: string): Promise<MfaState>;
  listPasskeys(userId: string): Promise<{ id: string; name: string; createdAt: number; lastUsedAt: number | null }[]>;
  /** Removes one of one's own passkeys (needs a fresh MFA proof). */
  removePasskey(principal: Principal, passkeyId: string, actor: Actor): Promise<void>;
  /** Administrator action for a lost device: removes every factor and recovery code and ends the person's sessions. */
  resetFactors(userId: string, actor: Actor): Promise<void>;
  /** Changes one's own password after proving the current one; other sessions end. */
  changeOwnPassword(principal: Principal, input: { currentPassword: string; newPassword: string }, actor: Actor): Promise<void>;
  /** Throws AUTH_STEP_UP_REQUIRED unless the session proved a factor within the step-up age. */
  requireFreshMfa(principal: Principal): void;
}

export function createAuthentication(
  ctx: IdentityContext,
  parts: { directory: DirectoryService; sessions: Sessions; throttle: Throttle; passwords: PasswordHasher },
): Authentication {
  const { db, clock, settings } = ctx;
  const { sessions, throttle, passwords } = parts;
  const rp = ctx.webauthn;

  // ---- helpers ---------------------------------------------------------------------------------------------------

  async function loadUser(id: string): Promise<User & { passwordHash: string | null }> {
    const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new WardError('AUTH_MFA_CHALLENGE_INVALID', 'The sign-in challenge is no longer valid; start again.');
    return { ...toUser(row), passwordHash: row.password_hash };
  }

  function accountProblem(user: User): 'disabled' | 'expired' | null {
    if (user.status !== 'active') return 'disabled';
    if (user.expiresAt !== null && user.expiresAt <= clock.now()) return 'expired';
    return null;
  }

  async function refuseInactive(user: User, actor: Actor, method: string) {
    const problem = accountProblem(user);
    if (!problem) return;
    await ctx.record({ action: 'auth.login', outcome: 'failure', actor, target: { type: 'user', id: user.id, name: user.username }, details: { reason: `account-${problem}`, method } });
    throw new WardError('AUTH_ACCOUNT_DISABLED', problem === 'expired' ? 'The account has expired.' : 'The account is disabled.');
  }

  async function newChallenge(purpose: ChallengePurpose, userId: string | null, sessionId: string | null, webauthnChallenge: string | null) {
    const now = clock.now();
    const { token, hash } = newBearer(CHALLENGE_PREFIX);
    await db
      .insertInto('auth_challenges')
      .values({ id: newId(), challenge_hash: hash, purpose, user_id: userId, session_id: sessionId, webauthn_challenge: webauthnChallenge, created_at: now, expires_at: now + settings.loginChallengeSeconds * 1000, consumed_at: null })
      .execute();
    // Expired challenges are useless; sweeping them here keeps the table small without a scheduler.
    await db.deleteFrom('auth_challenges').where('expires_at', '<', now - 3600_000).execute();
    return token;
  }

  async function findChallenge(token: string, purpose: ChallengePurpose, sessionId?: string) {
    const row = await db.selectFrom('auth_challenges').selectAll().where('challenge_hash', '=', hashToken(token)).executeTakeFirst();
    if (!row || row.purpose !== purpose || row.consumed_at !== null || Number(row.expires_at) <= clock.now() || (sessionId !== undefined && row.session_id !== sessionId)) {
      throw new WardError('AUTH_MFA_CHALLENGE_INVALID', 'The challenge is unknown, used or expired; start again.');
    }
    return row;
  }

  async function consumeChallenge(id: string) {
    const result = await db.updateTable('auth_challenges').set({ consumed_at: clock.now() }).where('id', '=', id).where('consumed_at', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new WardError('AUTH_MFA_CHALLENGE_INVALID', 'The challenge was already used; start again.');
  }

  async function methodsOf(userId: string): Promise<MfaMethod[]> {
    const state = await mfaState(userId);
    const methods: MfaMethod[] = [];
    if (state.totp) methods.push('totp');
    if (state.webauthnCredentials > 0) methods.push('webauthn');
    if (state.recoveryCodesLeft > 0) methods.push('recovery');
    return methods;
  }

  async function mfaState(userId: string): Promise<MfaState> {
    const [totp, webauthn, recovery] = await Promise.all([
      db.selectFrom('totp_factors').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirstOrThrow(),
      db.selectFrom('webauthn_credentials').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow(),
      db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow(),
    ]);
    const hasTotp = Number(totp.n) > 0;
    const credentials = Number(webauthn.n);
    return { enrolled: hasTotp || credentials > 0, totp: hasTotp, webauthnCredentials: credentials, recoveryCodesLeft: Number(recovery.n) };
  }

  async function beforeMfaAttempt(user: User, actor: Actor) {
    await throttle.check({ account: accountKey(user.username), address: actor.address ?? 'unknown' });
    await throttle.prompt(user, actor, 'attempt');
  }

  async function mfaFailed(user: User, actor: Actor, method: MfaMethod, reason: string, purpose: 'login' | 'step-up' | 'enrol'): Promise<never> {
    await throttle.fail({ account: accountKey(user.username), address: actor.address ?? 'unknown' }, { userId: user.id, username: user.username }, actor);
    await throttle.prompt(user, actor, 'failure');
    await ctx.record({ action: 'auth.mfa.verify', outcome: 'failure', actor, target: { type: 'user', id: user.id, name: user.username }, details: { method, reason, purpose } });
    throw new WardError('AUTH_MFA_INVALID', reason === 'replay' ? 'That code was already used; wait for the next one.' : 'The second factor was wrong or expired.');
  }

  /** Checks a TOTP code against the user's confirmed factor and burns its time step. */
  async function checkTotp(user: User, code: string, actor: Actor, purpose: 'login' | 'step-up'): Promise<void> {
    const factor = await db.selectFrom('totp_factors').selectAll().where('user_id', '=', user.id).where('confirmed_at', 'is not', null).executeTakeFirst();
    if (!factor) return mfaFailed(user, actor, 'totp', 'not-enrolled', purpose);
    const step = matchTotpStep(openFactorSecret(factor.secret, ctx.factorKey), code.trim(), clock.now());
    if (step === null) return mfaFailed(user, actor, 'totp', 'wrong-code', purpose);
    if (step <= Number(factor.last_used_step)) return mfaFailed(user, actor, 'totp', 'replay', purpose);
    // Compare-and-set: of two concurrent uses of one code, exactly one wins.
    const result = await db.updateTable('totp_factors').set({ last_used_step: step }).where('id', '=', factor.id).where('last_used_step', '<', step).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return mfaFailed(user, actor, 'totp', 'replay', purpose);
  }

  async function credentialsOf(userId: string) {
    const rows = await db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).execute();
    return rows.map((r) => ({ id: r.id, credentialId: r.credential_id, publicKey: new Uint8Array(r.public_key), counter: Number(r.counter), transports: JSON.parse(r.transports) as string[] }));
  }

  async function checkWebauthn(user: User | null, response: unknown, expectedChallenge: string, actor: Actor, purpose: 'login' | 'step-up', requireUserVerification: boolean): Promise<User> {
    const credentialId = responseCredentialId(response);
    const row = credentialId ? await db.selectFrom('webauthn_credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirst() : undefined;
    const owner = row ? await loadUser(row.user_id) : null;
    if (!row || !owner || (user && owner.id !== user.id)) {
      if (user) return mfaFailed(user, actor, 'webauthn', 'unknown-credential', purpose);
      await throttle.fail({ address: actor.address ?? 'unknown' }, {}, actor);
      await ctx.record({ action: 'auth.login', outcome: 'failure', actor, details: { reason: 'unknown-passkey', method: 'passkey' } });
      throw new WardError('AUTH_MFA_INVALID', 'This passkey is not registered with Ward.');
    }
    const stored: StoredCredential = { credentialId: row.credential_id, publicKey: new Uint8Array(row.public_key), counter: Number(row.counter), transports: JSON.parse(row.transports) as string[] };
    let counter: number;
    try {
      counter = await verifyAuthentication(rp, response, expectedChallenge, stored, requireUserVerification);
    } catch {
      return mfaFailed(owner, actor, 'webauthn', 'verification-failed', purpose);
    }
    await db.updateTable('webauthn_credentials').set({ counter, last_used_at: clock.now() }).where('id', '=', row.id).execute();
    return owner;
  }

  async function startSession(user: User, method: string, mfaVerified: boolean, actor: Actor): Promise<TokenResult> {
    await throttle.succeed(accountKey(user.username));
    const now = clock.now();
    const session = await sessions.create(user.id, mfaVerified ? now : null, { address: actor.address, userAgent: actor.userAgent });
    await ctx.record({ action: 'auth.login', actor, target: { type: 'user', id: user.id, name: user.username }, sessionId: session.sessionId, details: { method, mfa: mfaVerified } });
    return { token: session.token, expiresAt: session.expiresAt };
  }

  async function issueRecoveryCodes(userId: string, replace: boolean): Promise<string[] | null> {
    const codes = newRecoveryCodes();
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      if (!replace) {
        const existing = await trx.selectFrom('recovery_codes').select('id').where('user_id', '=', userId).limit(1).execute();
        if (existing.length > 0) return null;
      }
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await trx.insertInto('recovery_codes').values(codes.map((code) => ({ id: newId(), user_id: userId, code_hash: hashRecoveryCode(code), used_at: null, created_at: now }))).execute();
      return codes;
    });
  }

  function sessionOf(principal: Principal): string {
    if (principal.credential.kind !== 'session') throw new WardError('PERMISSION_DENIED', 'This needs a person in a signed-in session, not an API token.');
    return principal.credential.id;
  }

  function requireFreshMfa(principal: Principal) {
    const at = principal.mfaVerifiedAt;
    if (at === null || clock.now() - at > settings.stepUpMaxAgeSeconds * 1000) {
      throw new WardError('AUTH_STEP_UP_REQUIRED', 'Confirm with your second factor to continue.', { maxAgeSeconds: settings.stepUpMaxAgeSeconds });
    }
  }

  /** Changing factors once enrolled needs a fresh proof, so a stolen session cannot swap in the thief's authenticator. */
  async function requireFreshIfEnrolled(principal: Principal) {
    if ((await mfaState(principal.userId)).enrolled) requireFreshMfa(principal);
  }

  /** The password step shared by HTTP sign-in and the SSH gateway: throttle, verify, audit the failure. */
  async function checkPassword(username: string, password: string, actor: Actor, method: string): Promise<User> {
    const address = actor.address ?? 'unknown';
    const account = accountKey(username);
    try {
      await throttle.check({ account, address });
    } catch (error) {
      await ctx.record({ action: 'auth.login', outcome: 'failure', actor, target: { type: 'user', name: username.slice(0, 64) }, details: { reason: (error as WardError).code === 'AUTH_ACCOUNT_LOCKED' ? 'locked' : 'throttled', method } });
      throw error;
    }
    const user = await parts.directory.findUserByUsername(username);
    const row = user ? await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirst() : undefined;
    const ok = await passwords.verify(row?.password_hash ?? null, password);
    if (!user || !ok) {
      await throttle.fail({ account, address }, { userId: user?.id, username: user?.username ?? username.slice(0, 64) }, actor);
      await ctx.record({ action: 'auth.login', outcome: 'failure', actor, target: { type: 'user', id: user?.id, name: user?.username ?? username.slice(0, 64) }, details: { reason: user ? 'wrong-password' : 'unknown-user', method } });
      throw new WardError('AUTH_INVALID_CREDENTIALS', 'The username or password is wrong.');
    }
    return user;
  }

  // ---- flows -----------------------------------------------------------------------------------------------------

  return {
    mfaState,
    requireFreshMfa,

    async login({ username, password }, actor) {
      const user = await checkPassword(username, password, actor, 'password');
      await refuseInactive(user, actor, 'password');
      const methods = await methodsOf(user.id);
      if (!methods.includes('totp') && !methods.includes('webauthn')) return startSession(user, 'password', false, actor);
      // The account's failure count is only cleared once the second factor succeeds too.
      await throttle.prompt(user, actor, 'issue');
      const challenge = await newChallenge('login', user.id, null, null);
      await ctx.record({ action: 'auth.mfa.challenge', actor, target: { type: 'user', id: user.id, name: user.username }, details: { methods } });
      return { mfaRequired: true, challenge, methods };
    },

    async verifyPasswordAndTotp({ username, password, totp }, actor) {
      const user = await checkPassword(username, password, actor, 'ssh-keyboard-interactive');
      await refuseInactive(user, actor, 'ssh-keyboard-interactive');
      await beforeMfaAttempt(user, actor);
      await checkTotp(user, totp, actor, 'login');
      await throttle.succeed(accountKey(user.username));
      await ctx.record({ action: 'auth.login', actor, target: { type: 'user', id: user.id, name: user.username }, details: { method: 'ssh-keyboard-interactive', mfa: true } });
      return user;
    },

    async verifyTotpChallenge(challenge, code, actor) {
      const row = await findChallenge(challenge, 'login');
      const user = await loadUser(row.user_id!);
      await beforeMfaAttempt(user, actor);
      await checkTotp(user, code, actor, 'login');
      await consumeChallenge(row.id);
      await refuseInactive(user, actor, 'totp');
      return startSession(user, 'totp', true, actor);
    },

    async webauthnChallengeOptions(challenge, actor) {
      const row = await findChallenge(challenge, 'login');
      const user = await loadUser(row.user_id!);
      await beforeMfaAttempt(user, actor);
      const credentials = await credentialsOf(user.id);
      if (credentials.length === 0) throw new WardError('AUTH_MFA_INVALID', 'No passkey is registered for this account.');
      const options = await authenticationOptions(rp, credentials);
      await db.updateTable('auth_challenges').set({ webauthn_challenge: options.challenge }).where('id', '=', row.id).execute();
      return { options };
    },

    async verifyWebauthnChallenge(challenge, response, actor) {
      const row = await findChallenge(challenge, 'login');
      const user = await loadUser(row.user_id!);
      if (!row.webauthn_challenge) throw new WardError('AUTH_MFA_CHALLENGE_INVALID', 'Ask for passkey options first.');
      await beforeMfaAttempt(user, actor);
      await checkWebauthn(user, response, row.webauthn_challenge, actor, 'login', false);
      await consumeChallenge(row.id);
      await refuseInactive(user, actor, 'webauthn');
      return startSession(user, 'webauthn', true, actor);
    },

    async verifyRecoveryChallenge(challenge, code, actor) {
      const row = await findChallenge(challenge, 'login');
      const user = await loadUser(row.user_id!);
      await beforeMfaAttempt(user, actor);
      const result = await db
        .updateTable('recovery_codes')
        .set({ used_at: clock.now() })
        .where('user_id', '=', user.id)
        .where('code_hash', '=', hashRecoveryCode(code))
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) await mfaFailed(user, actor, 'recovery', 'wrong-or-used-code', 'login');
      await consumeChallenge(row.id);
      await refuseInactive(user, actor, 'recovery');
      const left = (await mfaState(user.id)).recoveryCodesLeft;
      await ctx.record({ action: 'auth.mfa.recovery.used', actor, target: { type: 'user', id: user.id, name: user.username }, details: { codesLeft: left } });
      return startSession(user, 'recovery', true, actor);
    },

    async passkeyOptions(actor) {
      await throttle.check({ address: actor.address ?? 'unknown' });
      const options = await authenticationOptions(rp, undefined);
      const challenge = await newChallenge('passkey-login', null, null, options.challenge);
      return { challenge, options };
    },

    async passkeyLogin(challenge, response, actor) {
      const row = await findChallenge(challenge, 'passkey-login');
      await throttle.check({ address: actor.address ?? 'unknown' });
      // A passkey with user verification is both factors at once: possession and the device PIN or biometric.
      const user = await checkWebauthn(null, response, row.webauthn_challenge!, actor, 'login', true);
      await throttle.check({ account: accountKey(user.username), address: actor.address ?? 'unknown' });
      await consumeChallenge(row.id);
      await refuseInactive(user, actor, 'passkey');
      return startSession(user, 'passkey', true, actor);
    },

    async logout(principal, actor) {
      if (principal.credential.kind === 'api-token') throw new WardError('CONFLICT', 'API tokens are revoked, not logged out.');
      await db.updateTable('auth_sessions').set({ revoked_at: clock.now() }).where('id', '=', principal.credential.id).where('revoked_at', 'is', null).execute();
      ctx.events.publish('identity.sessions.revoked', { userId: principal.userId, sessionIds: [principal.credential.id] });
      await ctx.record({ action: 'auth.logout', actor, target: { type: 'user', id: principal.userId, name: principal.username } });
    },

    async enrolTotp(principal, actor) {
      sessionOf(principal);
      await requireFreshIfEnrolled(principal);
      const secret = newTotpSecret();
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('totp_factors').where('user_id', '=', principal.userId).where('confirmed_at', 'is', null).execute();
        await trx.insertInto('totp_factors').values({ id: newId(), user_id: principal.userId, secret: sealFactorSecret(secret, ctx.factorKey), confirmed_at: null, last_used_step: 0, created_at: now }).execute();
      });
      await ctx.record({ action: 'auth.mfa.totp.enrolment.started', actor, target: { type: 'user', id: principal.userId, name: principal.username } });
      return { secret: base32(secret), uri: totpUri(secret, principal.username, 'Ward') };
    },

    async confirmTotp(principal, code, actor) {
      const sessionId = sessionOf(principal);
      const user = await loadUser(principal.userId);
      await beforeMfaAttempt(user, actor);
      const pending = await db.selectFrom('totp_factors').selectAll().where('user_id', '=', user.id).where('confirmed_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirst();
      if (!pending) throw new WardError('CONFLICT', 'Start TOTP enrolment first.');
      const step = matchTotpStep(openFactorSecret(pending.secret, ctx.factorKey), code.trim(), clock.now());
      if (step === null) await mfaFailed(user, actor, 'totp', 'wrong-code', 'enrol');
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('totp_factors').where('user_id', '=', user.id).where('id', '!=', pending.id).execute();
        await trx.updateTable('totp_factors').set({ confirmed_at: now, last_used_step: step! }).where('id', '=', pending.id).execute();
      });
      await sessions.markMfaVerified(sessionId);
      const recoveryCodes = await issueRecoveryCodes(user.id, false);
      await ctx.record({ action: 'auth.mfa.enrolled', actor, target: { type: 'user', id: user.id, name: user.username }, details: { method: 'totp', recoveryCodesIssued: recoveryCodes !== null } });
      return { recoveryCodes };
    },

    async webauthnRegistrationOptions(principal, actor) {
      const sessionId = sessionOf(principal);
      await requireFreshIfEnrolled(principal);
      const existing = await credentialsOf(principal.userId);
      const options = await registrationOptions(rp, { id: principal.userId, username: principal.username, displayName: principal.displayName }, existing);
      const challenge = await newChallenge('webauthn-register', principal.userId, sessionId, options.challenge);
      await ctx.record({ action: 'auth.mfa.webauthn.registration.started', actor, target: { type: 'user', id: principal.userId, name: principal.username } });
      return { challenge, options };
    },

    async registerWebauthn(principal, input, actor) {
      const sessionId = sessionOf(principal);
      const row = await findChallenge(input.challenge, 'webauthn-register', sessionId);
      const user = await loadUser(principal.userId);
      let credential: StoredCredential;
      try {
        credential = await verifyRegistration(rp, input.response, row.webauthn_challenge!);
      } catch (error) {
        await ctx.record({ action: 'auth.mfa.enrolled', outcome: 'failure', actor, target: { type: 'user', id: user.id, name: user.username }, details: { method: 'webauthn', reason: 'verification-failed' } });
        throw error;
      }
      await consumeChallenge(row.id);
      const name = (input.name ?? 'passkey').trim().slice(0, 100) || 'passkey';
      try {
        await db.insertInto('webauthn_credentials').values({ id: newId(), user_id: user.id, credential_id: credential.credentialId, public_key: credential.publicKey, counter: credential.counter, transports: JSON.stringify(credential.transports), name, created_at: clock.now(), last_used_at: null }).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('CONFLICT', 'This passkey is already registered.');
        throw error;
      }
      await sessions.markMfaVerified(sessionId);
      const recoveryCodes = await issueRecoveryCodes(user.id, false);
      await ctx.record({ action: 'auth.mfa.enrolled', actor, target: { type: 'user', id: user.id, name: user.username }, details: { method: 'webauthn', name, recoveryCodesIssued: recoveryCodes !== null } });
      return { credentialId: credential.credentialId, recoveryCodes };
    },

    async regenerateRecoveryCodes(principal, actor) {
      sessionOf(principal);
      const state = await mfaState(principal.userId);
      if (!state.enrolled) throw new WardError('AUTH_MFA_ENROLMENT_REQUIRED', 'Enrol TOTP or a passkey before generating recovery codes.');
      requireFreshMfa(principal);
      const codes = (await issueRecoveryCodes(principal.userId, true))!;
      await ctx.record({ action: 'auth.mfa.recovery.regenerated', actor, target: { type: 'user', id: principal.userId, name: principal.username }, details: { count: codes.length } });
      return codes;
    },

    async listPasskeys(userId) {
      const rows = await db.selectFrom('webauthn_credentials').select(['id', 'name', 'created_at', 'last_used_at']).where('user_id', '=', userId).orderBy('created_at').execute();
      return rows.map((r) => ({ id: r.id, name: r.name, createdAt: Number(r.created_at), lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at) }));
    },

    async removePasskey(principal, passkeyId, actor) {
      sessionOf(principal);
      requireFreshMfa(principal);
      const result = await db.deleteFrom('webauthn_credentials').where('id', '=', passkeyId).where('user_id', '=', principal.userId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new WardError('NOT_FOUND', 'No such passkey.');
      await ctx.record({ action: 'auth.mfa.webauthn.removed', actor, target: { type: 'user', id: principal.userId, name: principal.username }, details: { passkeyId } });
    },

    async resetFactors(userId, actor) {
      const user = await parts.directory.getUser(userId);
      const removed = await db.transaction().execute(async (trx) => {
        const totp = await trx.deleteFrom('totp_factors').where('user_id', '=', userId).executeTakeFirst();
        const passkeys = await trx.deleteFrom('webauthn_credentials').where('user_id', '=', userId).executeTakeFirst();
        await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        return { totp: Number(totp.numDeletedRows), webauthn: Number(passkeys.numDeletedRows) };
      });
      await ctx.record({ action: 'auth.mfa.reset', actor, target: { type: 'user', id: user.id, name: user.username }, details: { totpFactors: removed.totp, passkeys: removed.webauthn } });
      await sessions.revokeAll(userId, actor, 'second factors reset');
    },

    async changeOwnPassword(principal, input, actor) {
      const sessionId = sessionOf(principal);
      const user = await loadUser(principal.userId);
      const keys = { account: accountKey(user.username), address: actor.address ?? 'unknown' };
      await throttle.check(keys);
      if (!(await passwords.verify(user.passwordHash, input.currentPassword))) {
        await throttle.fail(keys, { userId: user.id, username: user.username }, actor);
        await ctx.record({ action: 'identity.user.password.changed', outcome: 'failure', actor, target: { type: 'user', id: user.id, name: user.username }, details: { reason: 'wrong-current-password' } });
        throw new WardError('AUTH_INVALID_CREDENTIALS', 'The current password is wrong.');
      }
      await parts.directory.setPassword(user.id, input.newPassword, actor);
      await sessions.revokeAll(user.id, actor, 'password changed', { exceptSessionId: sessionId });
    },

    async stepUpTotp(principal, code, actor) {
      const sessionId = sessionOf(principal);
      const user = await loadUser(principal.userId);
      await beforeMfaAttempt(user, actor);
      await checkTotp(user, code, actor, 'step-up');
      const at = await sessions.markMfaVerified(sessionId);
      await ctx.record({ action: 'auth.mfa.stepup', actor, target: { type: 'user', id: user.id, name: user.username }, details: { method: 'totp' } });
      return { mfaVerifiedAt: at };
    },

    async stepUpWebauthnOptions(principal, actor) {
      const sessionId = sessionOf(principal);
      const user = await loadUser(principal.userId);
      await beforeMfaAttempt(user, actor);
      const credentials = await credentialsOf(user.id);
      if (credentials.length === 0) throw new WardError('AUTH_MFA_INVALID', 'No passkey is registered for this account.');
      await throttle.prompt(user, actor, 'issue');
      const options = await authenticationOptions(rp, credentials);
      const challenge = await newChallenge('step-up', user.id, sessionId, options.challenge);
      return { challenge, options };
    },

    async stepUpWebauthn(principal, challenge, response, actor) {
      const sessionId = sessionOf(principal);
      const row = await findChallenge(challenge, 'step-up', sessionId);
      const user = await loadUser(principal.userId);
      await beforeMfaAttempt(user, actor);
      await checkWebauthn(user, response, row.webauthn_challenge!, actor, 'step-up', false);
      await consumeChallenge(row.id);
      const at = await sessions.markMfaVerified(sessionId);
      await ctx.record({ action: 'auth.mfa.stepup', actor, target: { type: 'user', id: user.id, name: user.username }, details: { method: 'webauthn' } });
      return { mfaVerifiedAt: at };
    },
  };
}

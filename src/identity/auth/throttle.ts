// Failed-attempt accounting: exponential back-off per account and per source address, lockout after repeated
// failures, and the MFA fatigue guard (too many prompts for one person in a short window).
import { sql } from 'kysely';
import { WardError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { normalizeName } from '../../platform/text.js';
import type { IdentityContext } from '../context.js';
import type { Actor } from '../types.js';

/** Failures an account may make before each further attempt must wait (1 s, 2 s, 4 s, …). */
const FREE_ACCOUNT_FAILURES = 2;
const MAX_BACKOFF_SECONDS = 15 * 60;

export const accountKey = (username: string) => `account:${normalizeName(username)}`;
export const addressKey = (address: string) => `address:${address}`;

export interface Throttle {
  /** Throws AUTH_THROTTLED or AUTH_ACCOUNT_LOCKED when the caller must wait. */
  check(keys: { account?: string | undefined; address: string }): Promise<void>;
  /** Counts a failure; locks the account (audited, published) at the configured threshold. */
  fail(keys: { account?: string | undefined; address: string }, who: { userId?: string | undefined; username?: string | undefined }, actor: Actor): Promise<void>;
  succeed(account: string): Promise<void>;
  unlock(userId: string, username: string, actor: Actor): Promise<boolean>;
  isLocked(account: string): Promise<number | null>;
  /**
   * MFA fatigue guard. 'issue' (a new prompt: login challenge, passkey request) is refused once the window holds the
   * limit; 'attempt' (answering an issued prompt) only beyond it, so the last allowed prompt can still be answered;
   * 'failure' records a wrong answer without checking, so a wrong answer past the limit closes the door.
   */
  prompt(user: { id: string; username: string }, actor: Actor, kind: 'issue' | 'attempt' | 'failure'): Promise<void>;
}

export function createThrottle(ctx: IdentityContext): Throttle {
  const { db, clock, settings } = ctx;

  async function read(key: string) {
    return db.selectFrom('auth_throttle').selectAll().where('key', '=', key).executeTakeFirst();
  }

  /** Counts one failure atomically (concurrent failures are never lost), then sets the back-off it earns. */
  async function bump(key: string, next: (failures: number) => { blockedUntil: number | null; lockedUntil: number | null }) {
    const now = clock.now();
    await db
      .insertInto('auth_throttle')
      .values({ key, failures: 0, last_failure_at: now, blocked_until: null, locked_until: null })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    // Old failures are forgiven after the lockout period passes quietly, and a served lock starts a new count.
    const counted = await db
      .updateTable('auth_throttle')
      .set({
        failures: sql<number>`case when last_failure_at < ${now - settings.lockoutSeconds * 1000} or (locked_until is not null and locked_until <= ${now}) then 1 else failures + 1 end`,
        last_failure_at: now,
      })
      .where('key', '=', key)
      .returning('failures')
      .executeTakeFirstOrThrow();
    const failures = Number(counted.failures);
    const { blockedUntil, lockedUntil } = next(failures);
    await db.updateTable('auth_throttle').set({ blocked_until: blockedUntil, locked_until: lockedUntil }).where('key', '=', key).where('failures', '=', failures).execute();
    return { failures, lockedUntil };
  }

  return {
    async check({ account, address }) {
      const now = clock.now();
      const addressRow = await read(addressKey(address));
      if (addressRow?.blocked_until && Number(addressRow.blocked_until) > now) {
        const retryAfterSeconds = Math.ceil((Number(addressRow.blocked_until) - now) / 1000);
        throw new WardError('AUTH_THROTTLED', `Too many failed sign-ins from your address; retry in ${retryAfterSeconds} s.`, { retryAfterSeconds });
      }
      if (!account) return;
      const row = await read(account);
      if (!row) return;
      if (row.locked_until && Number(row.locked_until) > now) {
        const retryAfterSeconds = Math.ceil((Number(row.locked_until) - now) / 1000);
        throw new WardError('AUTH_ACCOUNT_LOCKED', 'The account is locked after repeated failures; an administrator can unlock it.', { retryAfterSeconds });
      }
      if (row.blocked_until && Number(row.blocked_until) > now) {
        const retryAfterSeconds = Math.ceil((Number(row.blocked_until) - now) / 1000);
        throw new WardError('AUTH_THROTTLED', `Too many failed attempts; retry in ${retryAfterSeconds} s.`, { retryAfterSeconds });
      }
    },

    async fail({ account, address }, who, actor) {
      const now = clock.now();
      await bump(addressKey(address), (failures) => {
        const over = failures - settings.addressThrottleThreshold;
        return { blockedUntil: over >= 0 ? now + Math.min(2 ** over, MAX_BACKOFF_SECONDS) * 1000 : null, lockedUntil: null };
      });
      if (!account) return;
      const result = await bump(account, (failures) => {
        if (failures >= settings.lockoutThreshold) return { blockedUntil: null, lockedUntil: now + settings.lockoutSeconds * 1000 };
        const over = failures - FREE_ACCOUNT_FAILURES - 1;
        return { blockedUntil: over >= 0 ? now + Math.min(2 ** over, MAX_BACKOFF_SECONDS) * 1000 : null, lockedUntil: null };
      });
      if (result.lockedUntil !== null && result.failures === settings.lockoutThreshold) {
        await ctx.record({
          action: 'auth.lockout',
          outcome: 'failure',
          actor,
          target: { type: 'user', id: who.userId, name: who.username },
          details: { failures: result.failures, lockedUntil: result.lockedUntil },
        });
        if (who.userId) ctx.events.publish('identity.user.locked', { userId: who.userId, reason: 'repeated authentication failures' });
      }
    },

    async succeed(account) {
      await db.deleteFrom('auth_throttle').where('key', '=', account).execute();
    },

    async unlock(userId, username, actor) {
      const result = await db.deleteFrom('auth_throttle').where('key', '=', accountKey(username)).executeTakeFirst();
      await ctx.record({ action: 'auth.unlock', actor, target: { type: 'user', id: userId, name: username }, details: { wasThrottled: Number(result.numDeletedRows) > 0 } });
      return Number(result.numDeletedRows) > 0;
    },

    async isLocked(account) {
      const row = await read(account);
      return row?.locked_until && Number(row.locked_until) > clock.now() ? Number(row.locked_until) : null;
    },

    async prompt(user, actor, kind) {
      const now = clock.now();
      const since = now - settings.mfaPromptWindowSeconds * 1000;
      if (kind === 'failure') {
        await db.insertInto('mfa_prompts').values({ id: newId(), user_id: user.id, at: now }).execute();
        return;
      }
      const row = await db
        .selectFrom('mfa_prompts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', user.id)
        .where('at', '>', since)
        .executeTakeFirstOrThrow();
      const allowed = kind === 'issue' ? settings.mfaPromptLimit : settings.mfaPromptLimit + 1;
      if (Number(row.n) >= allowed) {
        await ctx.record({
          action: 'auth.mfa.fatigue',
          outcome: 'denied',
          actor,
          target: { type: 'user', id: user.id, name: user.username },
          details: { prompts: Number(row.n), windowSeconds: settings.mfaPromptWindowSeconds },
        });
        throw new WardError('AUTH_MFA_FATIGUE', 'Too many second-factor prompts in a short time; wait a few minutes before trying again.', {
          retryAfterSeconds: settings.mfaPromptWindowSeconds,
        });
      }
      if (kind === 'issue') {
        await db.insertInto('mfa_prompts').values({ id: newId(), user_id: user.id, at: now }).execute();
        // Keep the table small: prompts older than the window no longer matter.
        await db.deleteFrom('mfa_prompts').where('user_id', '=', user.id).where('at', '<=', since).execute();
      }
    },
  };
}

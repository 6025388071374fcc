// Starts a whole Ward (the composition root, real store) for integration tests, and signs people in
// through the public HTTP API the way a client would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret as OtpSecret, TOTP } from 'otpauth';
import { loadConfig } from '../../src/platform/config.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createWard, initWard, type Ward } from '../../src/server/compose.js';
import type { DialectName } from '../../src/platform/database/index.js';
import { createScratchDatabase } from './postgres.js';
import type { Logger } from '../../src/platform/logger.js';

export const ADMIN_PASSWORD = 'Ward-bootstrap-admin-Password-2026!';

export interface TestWard {
  ward: Ward;
  /** The PostgreSQL database URL, when the dialect is postgres. */
  databaseUrl: string | undefined;
  clock: ManualClock;
  /** True when the Ward runs on real time (options.realClock): its TOTP checks follow Date.now(), not `clock`. */
  realClock: boolean;
  dataDir: string;
  close(): Promise<void>;
}

export interface TestWardOptions {
  logger?: Logger;
  /** Real time instead of the manual clock (browser tests: TOTP codes typed into a page must match the server). */
  realClock?: boolean;
  /** Where the manual clock starts (default now): time-of-day policy (after hours) needs a known hour. */
  clockStart?: number;
}

/** 10:00 UTC on the latest weekday: inside the hospital day shift whatever time the suite runs. */
export function weekdayMorningUtc(now = Date.now()): number {
  const day = new Date(now);
  day.setUTCHours(10, 0, 0, 0);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() - 1);
  return day.getTime();
}

export async function startTestWard(dialect: DialectName, env: Record<string, string> = {}, options: TestWardOptions = {}): Promise<TestWard> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ward-it-'));
  const scratch = dialect === 'postgres' ? await createScratchDatabase() : undefined;
  const config = loadConfig({
    WARD_DATA_DIR: dataDir,
    WARD_HTTP_LISTEN: '127.0.0.1:0',
    WARD_SSH_LISTEN: '127.0.0.1:0',
    WARD_LOG_LEVEL: 'silent',
    WARD_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...(scratch ? { WARD_DATABASE_URL: scratch.url } : {}),
    ...env,
  });
  const clock = createManualClock(options.clockStart ?? Date.now());
  await initWard(config);
  const ward = await createWard({
    config,
    ...(options.realClock ? { scheduler: 'timer' as const } : { clock, scheduler: 'manual' as const }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    ward,
    databaseUrl: scratch?.url,
    clock,
    realClock: options.realClock === true,
    dataDir,
    async close() {
      await ward.close();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function totpNow(base32: string, clock: { now(): number }): string {
  return new TOTP({ secret: OtpSecret.fromBase32(base32) }).generate({ timestamp: clock.now() });
}

export interface SignedIn {
  token: string;
  totpSecret: string;
}

type Inject = Ward['app']['inject'];

async function call(inject: Inject, method: 'GET' | 'POST', url: string, body?: unknown, token?: string) {
  const response = await inject({
    method,
    url,
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (response.statusCode >= 400) throw new Error(`${method} ${url} → ${response.statusCode} ${response.body}`);
  return response.json() as Record<string, unknown>;
}

/**
 * Signs in with a password, enrols TOTP if the user has none yet (as a first-time user would), and returns a
 * session token whose MFA proof is fresh. Moves the manual clock one TOTP step so codes are never replayed.
 */
/**
 * A code for the previous TOTP step stays valid only until the current step ends (the server accepts ±1 step).
 * Under CI load the check can come seconds after the code was made, so when the current step has less than
 * `minRemainingMs` left this waits (synchronously, at most that long) for the next step to begin.
 */
export function settleTotpStep(minRemainingMs = 8_000): void {
  const remaining = 30_000 - (Date.now() % 30_000);
  if (remaining < minRemainingMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, remaining + 50);
}

export async function signInWithTotp(t: TestWard, username: string, password: string, totpSecret?: string): Promise<SignedIn> {
  const inject = t.ward.app.inject.bind(t.ward.app);
  // On real time the manual clock falls behind the server's as a slow run goes on; enrol with the previous step's
  // code and sign in with the current one (both inside the ±1 step window, strictly increasing).
  const at = (offsetMs: number) => ({ now: () => (t.realClock ? Date.now() + offsetMs : t.clock.now()) });
  if (t.realClock) settleTotpStep();
  const first = await call(inject, 'POST', '/api/v1/auth/login', { username, password });
  if (first.token && !totpSecret) {
    const token = first.token as string;
    const enrol = await call(inject, 'POST', '/api/v1/me/mfa/totp', undefined, token);
    const secret = enrol.secret as string;
    await call(inject, 'POST', '/api/v1/me/mfa/totp/confirm', { code: totpNow(secret, at(-30_000)) }, token);
    t.clock.advance(30_000);
    return signInWithTotp(t, username, password, secret);
  }
  if (!first.mfaRequired || !totpSecret) throw new Error(`unexpected login answer for ${username}: ${JSON.stringify(first)}`);
  const answer = await call(inject, 'POST', '/api/v1/auth/mfa/totp', { challenge: first.challenge, code: totpNow(totpSecret, at(0)) });
  t.clock.advance(30_000);
  return { token: answer.token as string, totpSecret };
}

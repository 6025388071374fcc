/* eslint-disable @typescript-eslint/no-explicit-any -- API replies are JSON checked field by field in the tests */
// Builds the real HTTP app with the identity routes over a test database, plus a small client for app.inject.
import { randomInt } from 'node:crypto';
import { Registry } from 'prom-client';
import { Secret as OtpSecret } from 'otpauth';
import type { Kysely } from 'kysely';
import { createHttpApp } from '../../src/server/http/app.js';
import type { RouteModule, WardApp } from '../../src/server/http/types.js';
import { createLogger } from '../../src/platform/logger.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createEventBus, type DomainEventName, type DomainEvents } from '../../src/platform/events.js';
import { defaultAuthSettings, type AuthSettings } from '../../src/platform/config.js';
import { createMemoryAuditLog, type MemoryAuditLog } from '../../src/audit/memory.js';
import type { Database } from '../../src/platform/database/index.js';
import { createIdentityService, ensureBootstrapAdmin, identityRoutes, totpCode, type IdentityService } from '../../src/identity/index.js';

export interface IdentityHarness {
  app: WardApp;
  service: IdentityService;
  clock: ManualClock;
  audit: MemoryAuditLog;
  settings: AuthSettings;
  events: { name: DomainEventName; payload: unknown }[];
  close(): Promise<void>;
}

export async function createIdentityHarness(
  db: Kysely<Database>,
  options: { settings?: Partial<AuthSettings>; webauthn?: { rpId: string; rpName: string; origins: string[] }; extraRoutes?: RouteModule[]; clock?: ManualClock; realClock?: boolean } = {},
): Promise<IdentityHarness> {
  // realClock: wall time that tests can still move forward (browsers and WebAuthn libraries read real time).
  let offset = 0;
  const clock: ManualClock =
    options.clock ??
    (options.realClock
      ? { now: () => Date.now() + offset, set: (ms) => void (offset = ms - Date.now()), advance: (ms) => void (offset += ms) }
      : createManualClock());
  const audit = createMemoryAuditLog(clock.now);
  const bus = createEventBus();
  const events: IdentityHarness['events'] = [];
  for (const name of ['identity.directory.changed', 'identity.sessions.revoked', 'identity.user.locked', 'identity.user.disabled'] as const) {
    bus.subscribe(name, (payload: DomainEvents[typeof name]) => events.push({ name, payload }));
  }
  const settings = { ...defaultAuthSettings, ...options.settings };
  const service = createIdentityService({
    db,
    audit,
    clock,
    events: bus,
    settings,
    webauthn: options.webauthn ?? { rpId: 'localhost', rpName: 'Ward', origins: ['http://localhost:8080'] },
    factorKey: new Uint8Array(32).fill(7),
    passwordHashing: { memoryCost: 4096, timeCost: 1 },
  });
  const { app } = await createHttpApp({
    logger: createLogger({ level: 'silent' }),
    authenticator: service,
    routes: [identityRoutes(service), ...(options.extraRoutes ?? [])],
    bodyLimitBytes: 1024 * 1024,
    stepUpMaxAgeSeconds: settings.stepUpMaxAgeSeconds,
    metrics: new Registry(),
    ready: async () => ({ ready: true, checks: {} }),
    now: clock.now,
  });
  return { app, service, clock, audit, settings, events, close: () => app.close() };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** A caller from one source address (each test gets its own so address throttling does not leak between tests). */
export function client(app: WardApp, address = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`) {
  async function call<T = any>(method: string, url: string, init: { token?: string | undefined; body?: unknown; raw?: string; contentType?: string } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let payload: string | undefined;
    if (init.raw !== undefined) {
      payload = init.raw;
      headers['content-type'] = init.contentType ?? 'application/json';
    } else if (init.body !== undefined) {
      payload = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const response = await app.inject({ method: method as 'GET', url, headers, remoteAddress: address, ...(payload !== undefined ? { payload } : {}) });
    let body: unknown = response.body;
    try {
      body = response.json();
    } catch {
      /* not JSON */
    }
    return { status: response.statusCode, body: body as T, headers: response.headers };
  }
  return {
    address,
    call,
    get: <T = any>(url: string, token?: string) => call<T>('GET', url, { token }),
    post: <T = any>(url: string, body?: unknown, token?: string) => call<T>('POST', url, { body, token }),
  };
}

export function secretBytes(base32: string): Uint8Array {
  return OtpSecret.fromBase32(base32).bytes;
}

export function codeAt(base32: string, at: number): string {
  return totpCode(secretBytes(base32), at);
}

export const strongPassword = 'violet-harbour-kettle-92!';

/** Bootstrap admin signed in with TOTP enrolled; returns its token and TOTP secret. */
export async function adminWithMfa(h: IdentityHarness): Promise<{ token: string; secret: string; recoveryCodes: string[] }> {
  const c = client(h.app);
  const existing = await h.service.findUserByUsername('admin');
  if (!existing) await ensureBootstrapAdmin(h.service, { password: strongPassword });
  const login = await c.post('/api/v1/auth/login', { username: 'admin', password: strongPassword });
  if (login.body.token) {
    const enrol = await c.post('/api/v1/me/mfa/totp', undefined, login.body.token);
    const confirm = await c.post('/api/v1/me/mfa/totp/confirm', { code: codeAt(enrol.body.secret, h.clock.now()) }, login.body.token);
    if (confirm.status !== 200) throw new Error(`enrolment failed: ${JSON.stringify(confirm.body)}`);
    adminSecrets.set(h, enrol.body.secret);
    return { token: login.body.token, secret: enrol.body.secret, recoveryCodes: confirm.body.recoveryCodes };
  }
  h.clock.advance(30_000);
  const mfa = await c.post('/api/v1/auth/mfa/totp', { challenge: login.body.challenge, code: codeAt(adminSecrets.get(h)!, h.clock.now()) });
  if (mfa.status !== 200) throw new Error(`admin MFA failed: ${JSON.stringify(mfa.body)}`);
  return { token: mfa.body.token, secret: adminSecrets.get(h)!, recoveryCodes: [] };
}
const adminSecrets = new WeakMap<IdentityHarness, string>();

/** For tests that enrol the admin's TOTP themselves. */
export function rememberAdminSecret(h: IdentityHarness, secret: string): void {
  adminSecrets.set(h, secret);
}

// The policy HTTP API: permissions per route, POLICY_INVALID with Cedar's message and line, explanations and
// audited decisions.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createTestDatabase } from '../../test/support/dialects.js';
import { createMemoryAuditLog } from '../audit/memory.js';
import { createManualClock } from '../platform/clock.js';
import { WardError } from '../platform/errors.js';
import { createLogger } from '../platform/logger.js';
import type { Permission } from '../platform/permissions.js';
import { createHttpApp } from '../server/http/app.js';
import type { Authenticator, Principal, WardApp } from '../server/http/types.js';
import { policyRoutes } from './routes.js';
import { createPolicyEngine, hospitalPackText } from './service.js';
import { createMemoryEntitySource } from './source.js';
import { parsePolicyTestFile } from './testfile.js';

const fixture = parsePolicyTestFile(readFileSync(new URL('./pack/hospital.test.yaml', import.meta.url), 'utf8'));
const clock = createManualClock(Date.parse('2026-11-23T10:00:00Z'));
const audit = createMemoryAuditLog(clock.now);

// Bearer tokens stand for signed-in people with the listed permissions (identity is not under test here).
function principal(userId: string, permissions: Permission[]): Principal {
  return {
    userId,
    username: userId,
    displayName: userId,
    kind: 'human',
    permissions: new Set(permissions),
    credential: { kind: 'session', id: `s-${userId}` },
    mfaEnrolled: true,
    mfaVerifiedAt: clock.now(),
  };
}
const people: Record<string, Principal> = {
  admin: principal('wendy', ['policy.read', 'policy.write', 'policy.evaluate']),
  reader: principal('audrey', ['policy.read']),
};
const authenticator: Authenticator = {
  async authenticate(token) {
    const found = people[token];
    if (!found) throw new WardError('AUTH_REQUIRED');
    return found;
  },
};

describe('policy routes', () => {
  let app: WardApp;
  let cleanup: () => Promise<void>;
  const context = { networkZone: 'enterprise', deviceTrust: 'managed', onCall: false, emergency: false, vendorWindow: false, mfaAgeSeconds: 60 };

  beforeAll(async () => {
    const test = await createTestDatabase('sqlite');
    const engine = createPolicyEngine({ db: test.database.db, audit, clock, entities: createMemoryEntitySource(fixture.entities), logger: createLogger({ level: 'silent' }) });
    await engine.start();
    const created = await createHttpApp({
      logger: createLogger({ level: 'silent' }),
      authenticator,
      routes: [policyRoutes(engine)],
      bodyLimitBytes: 4_000_000,
      stepUpMaxAgeSeconds: 300,
      metrics: new Registry(),
      ready: async () => ({ ready: true, checks: {} }),
      now: clock.now,
    });
    app = created.app;
    cleanup = async () => {
      await app.close();
      await test.cleanup();
    };
  });
  afterAll(async () => cleanup());

  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload: payload as object } : {}) });

  it('shows the active set to a reader', async () => {
    const response = await call('reader', 'GET', '/api/v1/policy');
    expect(response.statusCode).toBe(200);
    expect(response.json().version).toBe(1);
  });

  it('refuses apply without policy.write', async () => {
    const response = await call('reader', 'POST', '/api/v1/policy/apply', { text: hospitalPackText() });
    expect(response.json().error.code).toBe('PERMISSION_DENIED');
  });

  it('refuses an invalid set with POLICY_INVALID, Cedar’s message and the line', async () => {
    const response = await call('admin', 'POST', '/api/v1/policy/validate', { text: '@id("x")\npermit (principal, action, resource)\nwhen { context.nope };' });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.code).toBe('POLICY_INVALID');
    expect(response.json().error.message).toMatch(/^line 3: .*attribute `nope`/);
  });

  it('applies a set and lists it in the history', async () => {
    const applied = await call('admin', 'POST', '/api/v1/policy/apply', { text: hospitalPackText(), comment: 'same pack again' });
    expect(applied.statusCode).toBe(200);
    expect(applied.json().version).toBe(2);
    const history = await call('reader', 'GET', '/api/v1/policy/history');
    expect(history.json().items.map((i: { version: number }) => i.version)).toEqual([2, 1]);
  });

  it('explains a denial with the failed condition', async () => {
    const response = await call('admin', 'POST', '/api/v1/policy/explain', {
      principal: { type: 'User', id: 'alice' },
      action: 'reveal',
      resource: { type: 'Account', id: 'ehr-db-01-dba' },
      context,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ decision: 'deny', failed: [{ policyId: 'role.ehr-dba.reveal', condition: 'requires that a ticket is given' }] });
  });

  it('audits a decision with its policy ids', async () => {
    const response = await call('admin', 'POST', '/api/v1/policy/decisions', {
      principal: { type: 'User', id: 'bob' },
      action: 'connect',
      resource: { type: 'Target', id: 'infusion-gw-01' },
      context,
    });
    expect(response.json()).toMatchObject({ decision: 'deny', determining: ['zone.medical-device-fence'] });
    const event = audit.find('policy.decision').at(-1)!;
    expect(event).toMatchObject({ outcome: 'denied', policyIds: ['zone.medical-device-fence'], actor: { id: 'wendy', kind: 'user' } });
  });

  it('runs a policy test file against the active set', async () => {
    const file = readFileSync(new URL('./pack/hospital.test.yaml', import.meta.url), 'utf8');
    const response = await call('reader', 'POST', '/api/v1/policy/test', { file });
    expect(response.json()).toMatchObject({ failed: 0 });
  });
});

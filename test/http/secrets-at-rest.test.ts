// Secrets typed into Ward (passwords, TOTP secrets, vaulted credentials) never reach the store, the logs or the
// audit trail in plaintext: after real use through the API, the SQLite files / a pg_dump and every log line are
// searched for them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Secret as OtpSecret } from 'otpauth';
import { createLogger } from '../../src/platform/logger.js';
import { describeEachDialect } from '../support/dialects.js';
import { startTestWard, signInWithTotp, ADMIN_PASSWORD, type TestWard } from '../support/ward.js';

const USER_PASSWORD = 'Lantern-Orchid-Pelican-5521';
const VAULTED = 'Vaulted-EHR-root-Pa55word-Zq8!';

describeEachDialect('secrets at rest', (ctx) => {
  let t: TestWard;
  const logLines: string[] = [];
  let totpSecret = '';
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    t = await startTestWard(ctx.dialect, { WARD_LOG_LEVEL: 'trace' }, { logger: createLogger({ level: 'trace', destination: sink }) });
    const actor = { system: 'test' };
    await t.ward.identity.createUser({ username: 'grace.hopper', displayName: 'Grace Hopper', password: USER_PASSWORD }, actor);
    totpSecret = (await signInWithTotp(t, 'grace.hopper', USER_PASSWORD)).totpSecret;
    const admin = await signInWithTotp(t, 'admin', ADMIN_PASSWORD);
    const inject = (method: 'POST' | 'GET', url: string, payload?: object) =>
      t.ward.app.inject({ method, url, headers: { authorization: `Bearer ${admin.token}` }, ...(payload ? { payload } : {}) });
    expect((await inject('POST', '/api/v1/zones', { name: 'clinical' })).statusCode).toBeLessThan(300);
    const target = await inject('POST', '/api/v1/targets', {
      name: 'ehr-db-01', address: '10.0.0.5', protocols: ['ssh'], zone: 'clinical', criticality: 'high', ephiSensitivity: 'full',
    });
    expect(target.statusCode).toBeLessThan(300);
    const account = await inject('POST', `/api/v1/targets/${target.json().id}/accounts`, { username: 'root', kind: 'human-admin', privilegeLevel: 'root' });
    expect(account.statusCode).toBeLessThan(300);
    const stored = await inject('POST', `/api/v1/accounts/${account.json().id}/secrets`, { kind: 'password', value: VAULTED });
    expect(stored.statusCode, stored.body).toBeLessThan(300);
    // a failed login with a wrong password also must not echo it anywhere
    await t.ward.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'grace.hopper', password: `${USER_PASSWORD}-wrong` } });
    await t.ward.audit.checkpoint();
  });
  afterAll(() => t?.close());

  function storeBytes(): string {
    if (ctx.dialect === 'sqlite') {
      return readdirSync(t.dataDir)
        .filter((f) => f.startsWith('ward.db'))
        .map((f) => readFileSync(join(t.dataDir, f)).toString('latin1'))
        .join('\n');
    }
    return execFileSync('pg_dump', ['--data-only', t.databaseUrl!], { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 });
  }

  it('keeps passwords, TOTP secrets and vaulted credentials out of the store', () => {
    const dump = storeBytes();
    expect(dump.length).toBeGreaterThan(1000);
    expect(dump).toContain('grace.hopper');
    // The TOTP secret as typed (base32), as raw bytes (SQLite blob) and as hex (pg_dump's bytea form).
    const raw = Buffer.from(OtpSecret.fromBase32(totpSecret).bytes);
    const needles = [USER_PASSWORD, ADMIN_PASSWORD, VAULTED, totpSecret, raw.toString('latin1'), raw.toString('hex')];
    for (const needle of needles) expect(dump.includes(needle), `found secret ${needles.indexOf(needle)}`).toBe(false);
  });

  it('keeps them out of every log line, even at trace level', () => {
    const all = logLines.join('');
    expect(all.length).toBeGreaterThan(1000);
    for (const needle of [USER_PASSWORD, ADMIN_PASSWORD, VAULTED, totpSecret]) expect(all.includes(needle), needle.slice(0, 4)).toBe(false);
  });

  it('keeps them out of the audit trail', async () => {
    const events = JSON.stringify(await t.ward.audit.search({ limit: 1000 }));
    expect(events).toContain('auth.login');
    for (const needle of [USER_PASSWORD, ADMIN_PASSWORD, VAULTED, totpSecret]) expect(events.includes(needle), needle.slice(0, 4)).toBe(false);
  });
});

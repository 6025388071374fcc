// The identity commands of the `ward` CLI against a real server on loopback.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describeEachDialect } from '../support/dialects.js';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { ensureBootstrapAdmin } from '../../src/identity/index.js';
import { codeAt, createIdentityHarness, strongPassword, type IdentityHarness } from './harness.js';

async function ward(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const context = createCliContext(process.env);
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += String(d)));
  err.on('data', (d) => (stderr += String(d)));
  context.out = out;
  context.err = err;
  const code = await runCli(argv, context);
  process.exitCode = undefined;
  return { code, out: stdout, err: stderr };
}

describeEachDialect('ward identity commands', (ctx) => {
  let h: IdentityHarness;
  let dir: string;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    h = await createIdentityHarness(ctx.database.db);
    await ensureBootstrapAdmin(h.service, { password: strongPassword });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    dir = mkdtempSync(join(tmpdir(), 'ward-cli-'));
    for (const key of ['WARD_URL', 'WARD_SESSION_FILE', 'WARD_PASSWORD', 'WARD_TOKEN', 'WARD_DATA_DIR']) saved[key] = process.env[key];
    process.env.WARD_URL = `http://127.0.0.1:${port}`;
    process.env.WARD_SESSION_FILE = join(dir, 'session.json');
    process.env.WARD_PASSWORD = strongPassword;
    process.env.WARD_DATA_DIR = dir;
    delete process.env.WARD_TOKEN;
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in, enrols TOTP, manages users and tokens, signs out, and signs in again with a code', async () => {
    const login = await ward('login', '-u', 'admin');
    expect(login.code, login.err).toBe(0);
    expect(statSync(process.env.WARD_SESSION_FILE!).mode & 0o777).toBe(0o600);
    const notYet = await ward('users', 'list');
    expect(notYet.code).toBe(2);
    expect(notYet.err).toContain('AUTH_MFA_ENROLMENT_REQUIRED');

    const enrol = await ward('mfa', 'enrol-totp');
    const secret = JSON.parse(enrol.out).secret as string;
    const confirm = await ward('mfa', 'confirm-totp', codeAt(secret, h.clock.now()));
    expect(JSON.parse(confirm.out).recoveryCodes).toHaveLength(10);

    const whoami = JSON.parse((await ward('whoami')).out);
    expect(whoami).toMatchObject({ user: { username: 'admin' }, mfa: { enrolled: true } });

    const created = await ward('users', 'create', 'Nina', '--display-name', 'Nina Nurse', '--department', 'ICU', '--expires-at', '2027-06-30T00:00:00Z');
    expect(created.code, created.err).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ username: 'Nina', department: 'ICU', expiresAt: Date.parse('2027-06-30T00:00:00Z') });
    const taken = await ward('users', 'create', 'ＮＩＮＡ', '--display-name', 'Other');
    expect(taken.err).toContain('USERNAME_TAKEN');
    expect(JSON.parse((await ward('users', 'disable', 'nina', '--reason', 'leaver')).out).status).toBe('disabled');
    expect(JSON.parse((await ward('users', 'enable', 'nina')).out).status).toBe('active');
    expect(JSON.parse((await ward('users', 'unlock', 'nina')).out)).toEqual({ wasLocked: false });
    expect(JSON.parse((await ward('users', 'show', 'nina')).out).user.department).toBe('ICU');

    const token = JSON.parse((await ward('tokens', 'create', 'nightly-report', '--scope', 'identity.users.read', '--expires-in', '600')).out);
    expect(token.token).toMatch(/^wat_/);
    expect(JSON.parse((await ward('tokens', 'list')).out).items[0].name).toBe('nightly-report');

    expect((await ward('logout')).code).toBe(0);
    expect(existsSync(process.env.WARD_SESSION_FILE!)).toBe(false);
    const anonymous = await ward('whoami');
    expect(anonymous.code).toBe(2);
    expect(anonymous.err).toContain('AUTH_REQUIRED');

    h.clock.advance(30_000);
    const again = await ward('login', '-u', 'admin', '--code', codeAt(secret, h.clock.now()));
    expect(again.code, again.err).toBe(0);
    const wrong = await ward('login', '-u', 'admin', '--code', '000000');
    expect(wrong.err).toContain('AUTH_MFA_INVALID');
  });
});

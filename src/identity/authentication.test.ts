import { beforeAll, afterAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/dialects.js';
import { adminWithMfa, client, rememberAdminSecret, secretBytes, codeAt, createIdentityHarness, strongPassword, type IdentityHarness } from '../../test/identity/harness.js';
import { ensureBootstrapAdmin } from './index.js';

const actor = { system: 'test' };

describeEachDialect('identity authentication', (ctx) => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await createIdentityHarness(ctx.database.db, { settings: { addressThrottleThreshold: 10 } });
  });
  afterAll(async () => h?.close());

  async function person(username: string, options: { mfa?: boolean } = {}) {
    await h.service.createUser({ username, displayName: `Person ${username}`, password: strongPassword }, actor);
    const c = client(h.app);
    const login = await c.post('/api/v1/auth/login', { username, password: strongPassword });
    expect(login.status).toBe(200);
    let secret: string | undefined;
    let recoveryCodes: string[] = [];
    if (options.mfa) {
      const enrol = await c.post('/api/v1/me/mfa/totp', undefined, login.body.token);
      secret = enrol.body.secret as string;
      const confirm = await c.post('/api/v1/me/mfa/totp/confirm', { code: codeAt(secret, h.clock.now()) }, login.body.token);
      expect(confirm.status).toBe(200);
      recoveryCodes = confirm.body.recoveryCodes;
    }
    return { c, token: login.body.token as string, secret, recoveryCodes };
  }

  it('bootstraps an admin once with a strong one-time password, who must enrol MFA before anything privileged', async () => {
    const first = await ensureBootstrapAdmin(h.service, {});
    expect(first.created).toBe(true);
    expect(first.oneTimePassword).toMatch(/.{20,}/);
    expect(await ensureBootstrapAdmin(h.service, {})).toEqual({ created: false, username: 'admin' });
    const stored = await ctx.database.db.selectFrom('users').select('password_hash').where('username', '=', 'admin').executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    expect(stored.password_hash).not.toContain(first.oneTimePassword!);
    const c = client(h.app);
    const login = await c.post('/api/v1/auth/login', { username: 'admin', password: first.oneTimePassword });
    expect(login.status).toBe(200);
    expect(login.body.token).toMatch(/^wss_/);
    const denied = await c.get('/api/v1/users', login.body.token);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('AUTH_MFA_ENROLMENT_REQUIRED');
    const me = await c.get('/api/v1/me', login.body.token);
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('admin');
    expect(me.body.roles.map((r: { name: string }) => r.name)).toEqual(['ward-admin']);
    expect(me.body.mfa.enrolled).toBe(false);
    const enrol = await c.post('/api/v1/me/mfa/totp', undefined, login.body.token);
    expect(enrol.body.uri).toMatch(/^otpauth:\/\/totp\//);
    const confirm = await c.post('/api/v1/me/mfa/totp/confirm', { code: codeAt(enrol.body.secret, h.clock.now()) }, login.body.token);
    expect(confirm.body.recoveryCodes).toHaveLength(10);
    rememberAdminSecret(h, enrol.body.secret);
    expect((await c.get('/api/v1/users', login.body.token)).status).toBe(200);
    await h.service.setPassword((await h.service.findUserByUsername('admin'))!.id, strongPassword, actor);
  });

  it('signs in in two steps when TOTP is enrolled and refuses a replayed code', async () => {
    const { c, secret } = await person('nora', { mfa: true });
    h.clock.advance(30_000);
    const login = await c.post('/api/v1/auth/login', { username: 'nora', password: strongPassword });
    expect(login.body).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery'] });
    expect(login.body.token).toBeUndefined();
    const code = codeAt(secret!, h.clock.now());
    const first = await c.post('/api/v1/auth/mfa/totp', { challenge: login.body.challenge, code });
    expect(first.status).toBe(200);
    expect(first.body.token).toMatch(/^wss_/);
    const me = await c.get('/api/v1/me', first.body.token);
    expect(me.body.mfa.verifiedAt).toBe(h.clock.now());
    // The same code on a fresh challenge, within its validity window: refused.
    const again = await c.post('/api/v1/auth/login', { username: 'nora', password: strongPassword });
    const replay = await c.post('/api/v1/auth/mfa/totp', { challenge: again.body.challenge, code });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('AUTH_MFA_INVALID');
    // The challenge itself is one-time.
    const reused = await c.post('/api/v1/auth/mfa/totp', { challenge: login.body.challenge, code: codeAt(secret!, h.clock.now() + 30_000) });
    expect(reused.body.error.code).toBe('AUTH_MFA_CHALLENGE_INVALID');
    const wrong = await c.post('/api/v1/auth/mfa/totp', { challenge: again.body.challenge, code: '000000' });
    expect(wrong.body.error.code).toBe('AUTH_MFA_INVALID');
    expect(h.audit.find('auth.mfa.verify').some((e) => e.details?.reason === 'replay')).toBe(true);
  });

  it('lets exactly one of two simultaneous uses of a TOTP code through, and stores the secret sealed', async () => {
    const { c, token, secret } = await person('cato', { mfa: true });
    h.clock.advance(30_000);
    const code = codeAt(secret!, h.clock.now());
    const replies = await Promise.all([1, 2, 3].map(() => c.post('/api/v1/auth/step-up/totp', { code }, token)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    const row = await ctx.database.db.selectFrom('totp_factors').select('secret').where('user_id', '=', (await h.service.findUserByUsername('cato'))!.id).executeTakeFirstOrThrow();
    expect(Buffer.from(row.secret).includes(Buffer.from(secretBytes(secret!)))).toBe(false);
    expect(JSON.stringify(h.audit.events)).not.toContain(secret!);
  });

  it('accepts each recovery code once', async () => {
    const { c, recoveryCodes } = await person('rhea', { mfa: true });
    expect(recoveryCodes).toHaveLength(10);
    const login = await c.post('/api/v1/auth/login', { username: 'rhea', password: strongPassword });
    const ok = await c.post('/api/v1/auth/mfa/recovery', { challenge: login.body.challenge, code: recoveryCodes[0]!.toUpperCase() });
    expect(ok.status).toBe(200);
    const again = await c.post('/api/v1/auth/login', { username: 'rhea', password: strongPassword });
    const reused = await c.post('/api/v1/auth/mfa/recovery', { challenge: again.body.challenge, code: recoveryCodes[0] });
    expect(reused.body.error.code).toBe('AUTH_MFA_INVALID');
    const me = await c.get('/api/v1/me', ok.body.token);
    expect(me.body.mfa.recoveryCodesLeft).toBe(9);
  });

  it('answers wrong passwords and unknown users alike, and never audits the password', async () => {
    await person('walt');
    const c = client(h.app);
    const wrong = await c.post('/api/v1/auth/login', { username: 'walt', password: 'not-the-password-at-all' });
    const unknown = await c.post('/api/v1/auth/login', { username: 'nobody-here', password: 'not-the-password-at-all' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
    const failures = h.audit.find('auth.login').filter((e) => e.outcome === 'failure');
    expect(failures.map((e) => e.details?.reason)).toEqual(expect.arrayContaining(['wrong-password', 'unknown-user']));
    expect(JSON.stringify(h.audit.events)).not.toContain('not-the-password-at-all');
    expect(JSON.stringify(h.audit.events)).not.toContain(strongPassword);
  });

  it('backs off exponentially, locks after the threshold, and an admin unlock restores sign-in', async () => {
    const { c } = await person('lena');
    const attempt = (password: string) => c.post('/api/v1/auth/login', { username: 'lena', password });
    expect((await attempt('wrong-1')).status).toBe(401);
    expect((await attempt('wrong-2')).status).toBe(401);
    expect((await attempt('wrong-3')).status).toBe(401);
    const throttled = await attempt('wrong-4');
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toMatchObject({ code: 'AUTH_THROTTLED', details: { retryAfterSeconds: 1 } });
    expect(throttled.headers['retry-after']).toBe('1');
    h.clock.advance(1_000);
    expect((await attempt('wrong-4')).status).toBe(401);
    const slower = await attempt(strongPassword);
    expect(slower.body.error).toMatchObject({ code: 'AUTH_THROTTLED', details: { retryAfterSeconds: 2 } });
    h.clock.advance(2_000);
    expect((await attempt('wrong-5')).status).toBe(401);
    const locked = await attempt(strongPassword);
    expect(locked.status).toBe(423);
    expect(locked.body.error.code).toBe('AUTH_ACCOUNT_LOCKED');
    const lena = (await h.service.findUserByUsername('lena'))!;
    expect(h.audit.find('auth.lockout').some((e) => e.target?.id === lena.id)).toBe(true);
    expect(h.events.some((e) => e.name === 'identity.user.locked' && (e.payload as { userId: string }).userId === lena.id)).toBe(true);

    const admin = await adminWithMfa(h);
    const shown = await client(h.app).get(`/api/v1/users/${lena.id}`, admin.token);
    expect(shown.body.lockedUntil).toBeGreaterThan(h.clock.now());
    const unlock = await client(h.app).post(`/api/v1/users/${lena.id}/unlock`, undefined, admin.token);
    expect(unlock.body).toEqual({ wasLocked: true });
    expect(h.audit.find('auth.unlock').at(-1)?.target?.id).toBe(lena.id);
    expect((await attempt(strongPassword)).status).toBe(200);
  });

  it('slows down one source address that fails for many usernames, not others', async () => {
    const c = client(h.app);
    for (let i = 0; i < 10; i++) expect((await c.post('/api/v1/auth/login', { username: `spray-${i}`, password: 'Summer2026!' })).status).toBe(401);
    const blocked = await c.post('/api/v1/auth/login', { username: 'spray-x', password: 'Summer2026!' });
    expect(blocked.body.error.code).toBe('AUTH_THROTTLED');
    const other = await client(h.app).post('/api/v1/auth/login', { username: 'spray-x', password: 'Summer2026!' });
    expect(other.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
  });

  it('stops MFA prompts beyond the fatigue limit and audits it', async () => {
    const { c, secret } = await person('finn', { mfa: true });
    let last = '';
    for (let i = 0; i < h.settings.mfaPromptLimit; i++) {
      const login = await c.post('/api/v1/auth/login', { username: 'finn', password: strongPassword });
      expect(login.body.mfaRequired).toBe(true);
      last = login.body.challenge;
    }
    const tired = await c.post('/api/v1/auth/login', { username: 'finn', password: strongPassword });
    expect(tired.status).toBe(429);
    expect(tired.body.error.code).toBe('AUTH_MFA_FATIGUE');
    expect(h.audit.find('auth.mfa.fatigue').length).toBeGreaterThan(0);
    // The last prompt allowed can still be answered once; a wrong answer past the limit closes the door.
    h.clock.advance(30_000);
    expect((await c.post('/api/v1/auth/mfa/totp', { challenge: last, code: '000000' })).body.error.code).toBe('AUTH_MFA_INVALID');
    const blocked = await c.post('/api/v1/auth/mfa/totp', { challenge: last, code: codeAt(secret!, h.clock.now()) });
    expect(blocked.body.error.code).toBe('AUTH_MFA_FATIGUE');
    h.clock.advance(h.settings.mfaPromptWindowSeconds * 1000 + 1);
    const login = await c.post('/api/v1/auth/login', { username: 'finn', password: strongPassword });
    const done = await c.post('/api/v1/auth/mfa/totp', { challenge: login.body.challenge, code: codeAt(secret!, h.clock.now()) });
    expect(done.status).toBe(200);
  });

  it('lets the last prompt within the fatigue limit be answered', async () => {
    const { c, secret } = await person('gwen', { mfa: true });
    let last = '';
    for (let i = 0; i < h.settings.mfaPromptLimit; i++) last = (await c.post('/api/v1/auth/login', { username: 'gwen', password: strongPassword })).body.challenge;
    h.clock.advance(30_000);
    const done = await c.post('/api/v1/auth/mfa/totp', { challenge: last, code: codeAt(secret!, h.clock.now()) });
    expect(done.status).toBe(200);
  });

  it('ends sessions after the idle timeout, a role’s shorter override, and the absolute lifetime', async () => {
    const { c, token } = await person('ida');
    h.clock.advance(h.settings.idleTimeoutSeconds * 1000 - 1000);
    expect((await c.get('/api/v1/me', token)).status).toBe(200);
    h.clock.advance(h.settings.idleTimeoutSeconds * 1000 + 1000);
    const idle = await c.get('/api/v1/me', token);
    expect(idle.status).toBe(401);
    expect(idle.body.error.code).toBe('AUTH_TOKEN_EXPIRED');

    const ida = (await h.service.findUserByUsername('ida'))!;
    const role = await h.service.createRole({ name: 'icu-kiosk', permissions: ['inventory.read'], idleTimeoutSeconds: 120 }, actor);
    await h.service.assignRole({ roleId: role.id, subjectType: 'user', subjectId: ida.id }, actor);
    const short = (await c.post('/api/v1/auth/login', { username: 'ida', password: strongPassword })).body.token;
    h.clock.advance(110_000);
    const me = await c.get('/api/v1/me', short);
    expect(me.body.credential.idleExpiresAt).toBe(h.clock.now() + 120_000);
    h.clock.advance(121_000);
    expect((await c.get('/api/v1/me', short)).body.error.code).toBe('AUTH_TOKEN_EXPIRED');

    const long = (await c.post('/api/v1/auth/login', { username: 'ida', password: strongPassword })).body.token;
    for (let elapsed = 0; elapsed < h.settings.absoluteLifetimeSeconds; elapsed += 100) {
      h.clock.advance(100_000);
      if (elapsed + 100 >= h.settings.absoluteLifetimeSeconds) break;
      if (elapsed % 3000 === 0) expect((await c.get('/api/v1/me', long)).status).toBe(200);
      else await h.service.authenticate(long, { address: c.address, userAgent: undefined, requestId: 'x' });
    }
    expect((await c.get('/api/v1/me', long)).body.error.code).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('revokes one session or all of a user’s sessions effective on the next request', async () => {
    const { c, token: first } = await person('rob');
    const second = (await c.post('/api/v1/auth/login', { username: 'rob', password: strongPassword })).body.token;
    const third = (await c.post('/api/v1/auth/login', { username: 'rob', password: strongPassword })).body.token;
    const sessions = await c.get('/api/v1/me/sessions', first);
    expect(sessions.body.items).toHaveLength(3);
    const secondId = sessions.body.items.find((s: { current: boolean; id: string }) => !s.current).id;
    expect((await c.call('DELETE', `/api/v1/me/sessions/${secondId}`, { token: first })).status).toBe(200);
    const dead = [second, third].map(async (t) => (await c.get('/api/v1/me', t)).status);
    expect((await Promise.all(dead)).filter((s) => s === 401)).toHaveLength(1);
    expect(h.events.some((e) => e.name === 'identity.sessions.revoked' && (e.payload as { sessionIds: string[] }).sessionIds.includes(secondId))).toBe(true);

    const admin = await adminWithMfa(h);
    const rob = (await h.service.findUserByUsername('rob'))!;
    const all = await client(h.app).post(`/api/v1/users/${rob.id}/sessions/revoke`, {}, admin.token);
    expect(all.body.revoked).toBe(2);
    for (const t of [first, second, third]) expect((await c.get('/api/v1/me', t)).body.error.code).toBe('AUTH_TOKEN_EXPIRED');
    expect(h.audit.find('auth.session.revoked').length).toBeGreaterThanOrEqual(2);
    const logout = (await c.post('/api/v1/auth/login', { username: 'rob', password: strongPassword })).body.token;
    expect((await c.post('/api/v1/auth/logout', undefined, logout)).status).toBe(200);
    expect((await c.get('/api/v1/me', logout)).status).toBe(401);
    expect(h.audit.find('auth.logout').length).toBe(1);
  });

  it('scopes API tokens to the intersection of their scopes and the owner’s current permissions', async () => {
    const admin = await adminWithMfa(h);
    const c = client(h.app);
    const weak = await c.post('/api/v1/me/tokens', { name: 'ci', scopes: ['identity.users.read'], expiresInSeconds: 3600 }, (await person('tina')).token);
    expect(weak.body.error.code).toBe('AUTH_MFA_ENROLMENT_REQUIRED');
    const created = await c.post('/api/v1/me/tokens', { name: 'reporting', scopes: ['identity.users.read', 'identity.roles.read'], expiresInSeconds: 3600 }, admin.token);
    expect(created.status).toBe(200);
    const token = created.body.token as string;
    expect(token).toMatch(/^wat_/);
    expect((await c.get('/api/v1/users', token)).status).toBe(200);
    const write = await c.post('/api/v1/users', { username: 'via-token', displayName: 'Via Token' }, token);
    expect(write.body.error.code).toBe('PERMISSION_DENIED');
    const me = await c.get('/api/v1/me', token);
    expect(me.body.permissions).toEqual(['identity.roles.read', 'identity.users.read']);
    expect(me.body.credential.kind).toBe('api-token');
    const nested = await c.post('/api/v1/me/tokens', { name: 'child', scopes: ['identity.users.read'], expiresInSeconds: 3600 }, token);
    expect(nested.body.error.code).toBe('PERMISSION_DENIED');
    const listed = await c.get('/api/v1/me/tokens', admin.token);
    expect(JSON.stringify(listed.body)).not.toContain(token);

    // The owner loses a permission: so does the token.
    const owner = await person('olga', { mfa: true });
    const olga = (await h.service.findUserByUsername('olga'))!;
    const readers = await h.service.createRole({ name: 'directory-readers', permissions: ['identity.users.read', 'identity.groups.read'] }, actor);
    const assignment = await h.service.assignRole({ roleId: readers.id, subjectType: 'user', subjectId: olga.id }, actor);
    const beyond = await owner.c.post('/api/v1/me/tokens', { name: 'too-much', scopes: ['identity.users.write'], expiresInSeconds: 3600 }, owner.token);
    expect(beyond.body.error.code).toBe('PERMISSION_DENIED');
    const own = await owner.c.post('/api/v1/me/tokens', { name: 'mine', scopes: ['identity.users.read'], expiresInSeconds: 600 }, owner.token);
    expect((await c.get('/api/v1/users', own.body.token)).status).toBe(200);
    await h.service.unassignRole(assignment.id, actor);
    expect((await c.get('/api/v1/users', own.body.token)).body.error.code).toBe('PERMISSION_DENIED');

    h.clock.advance(3_600_001);
    expect((await c.get('/api/v1/users', token)).body.error.code).toBe('AUTH_TOKEN_EXPIRED');
    const admin2 = await adminWithMfa(h);
    const another = await c.post('/api/v1/me/tokens', { name: 'short', scopes: ['identity.users.read'], expiresInSeconds: 600 }, admin2.token);
    expect((await c.call('DELETE', `/api/v1/me/tokens/${another.body.info.id}`, { token: admin2.token })).status).toBe(200);
    expect((await c.get('/api/v1/users', another.body.token)).body.error.code).toBe('AUTH_TOKEN_EXPIRED');
    expect(h.audit.find('auth.token.created').length).toBeGreaterThanOrEqual(3);
    expect(h.audit.find('auth.token.revoked').length).toBe(1);
    expect(JSON.stringify(h.audit.events)).not.toContain(another.body.token);
  });

  it('demands a fresh MFA proof for high-risk routes and accepts a TOTP step-up', async () => {
    const admin = await adminWithMfa(h);
    const c = client(h.app);
    const role = await h.service.createRole({ name: 'step-up-probe', permissions: ['inventory.read'] }, actor);
    const subject = await h.service.createUser({ username: 'sam', displayName: 'Sam' }, actor);
    h.clock.advance(h.settings.stepUpMaxAgeSeconds * 1000 + 1000);
    const body = { roleId: role.id, subjectType: 'user', subjectId: subject.id };
    const stale = await c.post('/api/v1/role-assignments', body, admin.token);
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('AUTH_STEP_UP_REQUIRED');
    const wrong = await c.post('/api/v1/auth/step-up/totp', { code: '123456' }, admin.token);
    expect(wrong.body.error.code).toBe('AUTH_MFA_INVALID');
    const step = await c.post('/api/v1/auth/step-up/totp', { code: codeAt(admin.secret, h.clock.now()) }, admin.token);
    expect(step.body.mfaVerifiedAt).toBe(h.clock.now());
    const fresh = await c.post('/api/v1/role-assignments', body, admin.token);
    expect(fresh.status).toBe(201);
    expect(h.audit.find('auth.mfa.stepup').filter((e) => e.target?.name === 'admin')).toHaveLength(1);
  });

  it('refuses sign-in and ends sessions of disabled and expired accounts', async () => {
    const { c, token } = await person('dora');
    const dora = (await h.service.findUserByUsername('dora'))!;
    await h.service.disableUser(dora.id, actor, 'leaver');
    expect((await c.get('/api/v1/me', token)).status).toBe(401);
    const login = await c.post('/api/v1/auth/login', { username: 'dora', password: strongPassword });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe('AUTH_ACCOUNT_DISABLED');
    await h.service.enableUser(dora.id, actor);
    expect((await c.post('/api/v1/auth/login', { username: 'dora', password: strongPassword })).status).toBe(200);

    const resident = await h.service.createUser({ username: 'resident-1', displayName: 'Resident', password: strongPassword, expiresAt: h.clock.now() + 60_000 }, actor);
    const session = (await c.post('/api/v1/auth/login', { username: 'resident-1', password: strongPassword })).body.token;
    expect((await c.get('/api/v1/me', session)).status).toBe(200);
    h.clock.advance(61_000);
    expect((await c.get('/api/v1/me', session)).body.error.code).toBe('AUTH_ACCOUNT_DISABLED');
    const expired = await c.post('/api/v1/auth/login', { username: 'resident-1', password: strongPassword });
    expect(expired.body.error.code).toBe('AUTH_ACCOUNT_DISABLED');
    expect(resident.expiresAt).not.toBeNull();
  });

  it('lets people change their own password after proving the current one, ending their other sessions', async () => {
    const { c, token } = await person('cora');
    const other = (await c.post('/api/v1/auth/login', { username: 'cora', password: strongPassword })).body.token;
    const wrong = await c.post('/api/v1/me/password', { currentPassword: 'guess-guess-guess', newPassword: 'amber-lantern-meadow-71' }, token);
    expect(wrong.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
    const weak = await c.post('/api/v1/me/password', { currentPassword: strongPassword, newPassword: 'cora1234' }, token);
    expect(weak.body.error.code).toBe('PASSWORD_TOO_WEAK');
    const ok = await c.post('/api/v1/me/password', { currentPassword: strongPassword, newPassword: 'amber-lantern-meadow-71' }, token);
    expect(ok.status).toBe(200);
    expect((await c.get('/api/v1/me', token)).status).toBe(200);
    expect((await c.get('/api/v1/me', other)).body.error.code).toBe('AUTH_TOKEN_EXPIRED');
    expect((await c.post('/api/v1/auth/login', { username: 'cora', password: strongPassword })).status).toBe(401);
    expect((await c.post('/api/v1/auth/login', { username: 'cora', password: 'amber-lantern-meadow-71' })).status).toBe(200);
    expect(JSON.stringify(h.audit.events)).not.toContain('amber-lantern-meadow-71');
  });

  it('lets an administrator reset a lost second factor, ending the person’s sessions', async () => {
    const { c, token } = await person('lou', { mfa: true });
    const admin = await adminWithMfa(h);
    const lou = (await h.service.findUserByUsername('lou'))!;
    const reset = await client(h.app).call('DELETE', `/api/v1/users/${lou.id}/mfa`, { token: admin.token });
    expect(reset.status).toBe(200);
    expect((await c.get('/api/v1/me', token)).body.error.code).toBe('AUTH_TOKEN_EXPIRED');
    const login = await c.post('/api/v1/auth/login', { username: 'lou', password: strongPassword });
    expect(login.body.token).toMatch(/^wss_/);
    const me = await c.get('/api/v1/me', login.body.token);
    expect(me.body.mfa).toMatchObject({ enrolled: false, totp: false, recoveryCodesLeft: 0 });
    expect(h.audit.find('auth.mfa.reset').at(-1)?.target?.id).toBe(lou.id);
  });

  it('rejects garbage, expired and missing bearer tokens with stable codes', async () => {
    const c = client(h.app);
    expect((await c.get('/api/v1/me')).body.error.code).toBe('AUTH_REQUIRED');
    expect((await c.get('/api/v1/me', 'wss_not-a-real-token')).body.error.code).toBe('AUTH_REQUIRED');
    expect((await c.get('/api/v1/me', "x' OR '1'='1")).body.error.code).toBe('AUTH_REQUIRED');
    expect((await c.get('/api/v1/me', 'wat_' + 'a'.repeat(43))).body.error.code).toBe('AUTH_REQUIRED');
  });
});

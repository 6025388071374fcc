import { beforeAll, afterAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDialect } from '../../test/support/dialects.js';
import { adminWithMfa, client, createIdentityHarness, strongPassword, type IdentityHarness } from '../../test/identity/harness.js';

const actor = { system: 'test' };
const sqlNasties = ["'; DROP TABLE users; --", 'Robert"); DELETE FROM roles; --', "x' OR '1'='1", '%_\\', '$1; select pg_sleep(1)'];

describeEachDialect('identity directory', (ctx) => {
  let h: IdentityHarness;
  let admin: { token: string };
  beforeAll(async () => {
    h = await createIdentityHarness(ctx.database.db);
    admin = await adminWithMfa(h);
  });
  afterAll(async () => h?.close());

  const count = async (table: 'users' | 'groups' | 'roles' | 'role_assignments' | 'group_members') =>
    Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(ctx.database.db)).rows[0]!.n);

  it('creates, shows, changes, disables and enables users, auditing each change', async () => {
    const c = client(h.app);
    const created = await c.post('/api/v1/users', { username: 'Grace.Hopper', displayName: 'Grace Hopper', email: 'grace@hospital.example', kind: 'human', department: 'Radiology' }, admin.token);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'Grace.Hopper', status: 'active', kind: 'human', department: 'Radiology' });
    const id = created.body.id as string;
    const patched = await c.call('PATCH', `/api/v1/users/${id}`, { token: admin.token, body: { department: 'ICU', expiresAt: h.clock.now() + 86_400_000 } });
    expect(patched.body.department).toBe('ICU');
    expect((await c.post(`/api/v1/users/${id}/disable`, { reason: 'leaver' }, admin.token)).body.status).toBe('disabled');
    expect((await c.post(`/api/v1/users/${id}/enable`, undefined, admin.token)).body.status).toBe('active');
    expect((await c.post(`/api/v1/users/${id}/disable`, undefined, admin.token)).body.status).toBe('disabled');
    expect((await c.post(`/api/v1/users/${id}/enable`, {}, admin.token)).body.status).toBe('active');
    expect((await c.post(`/api/v1/users/${id}/sessions/revoke`, undefined, admin.token)).body.revoked).toBe(0);
    const list = await c.get('/api/v1/users?limit=1', admin.token);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.nextCursor).not.toBeNull();
    const found = await c.get(`/api/v1/users?username=${encodeURIComponent('ＧＲＡＣＥ.hopper')}`, admin.token);
    expect(found.body.items.map((u: { id: string }) => u.id)).toEqual([id]);
    for (const action of ['identity.user.created', 'identity.user.updated', 'identity.user.disabled', 'identity.user.enabled']) {
      expect(h.audit.find(action).some((e) => e.target?.id === id)).toBe(true);
    }
    expect(h.events.some((e) => e.name === 'identity.directory.changed')).toBe(true);
    expect(h.events.some((e) => e.name === 'identity.user.disabled')).toBe(true);
  });

  it('treats usernames differing only in case or Unicode form as the same, without a partial write', async () => {
    const c = client(h.app);
    expect((await c.post('/api/v1/users', { username: 'alice', displayName: 'Alice' }, admin.token)).status).toBe(201);
    const before = await count('users');
    for (const variant of ['Alice', 'ALICE', 'Ａｌｉｃｅ', 'alice ', 'ａｌｉｃｅ']) {
      const reply = await c.post('/api/v1/users', { username: variant, displayName: 'Another Alice' }, admin.token);
      expect(reply.status, variant).toBe(409);
      expect(reply.body.error.code).toBe('USERNAME_TAKEN');
    }
    expect(await count('users')).toBe(before);
  });

  it('refuses weak passwords with PASSWORD_TOO_WEAK and creates nothing', async () => {
    const c = client(h.app);
    const before = await count('users');
    for (const password of ['password', 'Password1', 'winston2026', 'winstonchurchill']) {
      const reply = await c.post('/api/v1/users', { username: 'winston', displayName: 'Winston Churchill', password }, admin.token);
      expect(reply.status, password).toBe(422);
      expect(reply.body.error.code).toBe('PASSWORD_TOO_WEAK');
      if (password !== 'password') expect(JSON.stringify(reply.body)).not.toContain(password);
    }
    expect(await count('users')).toBe(before);
    expect((await c.post('/api/v1/users', { username: 'winston', displayName: 'Winston Churchill', password: strongPassword }, admin.token)).status).toBe(201);
  });

  it('handles SQL metacharacters in every string field as data, never as SQL, and never with a 500', async () => {
    const c = client(h.app);
    for (const nasty of sqlNasties) {
      const users = await count('users');
      const badName = await c.post('/api/v1/users', { username: nasty, displayName: 'X' }, admin.token);
      expect(badName.status).toBe(400);
      expect(badName.body.error.code).toBe('VALIDATION_FAILED');
      expect(await count('users')).toBe(users);
      const stored = await c.post('/api/v1/users', { username: `user-${users}`, displayName: nasty, department: nasty, email: `a${users}@b.example` }, admin.token);
      expect(stored.status).toBe(201);
      expect(stored.body.displayName).toBe(nasty.trim());
      for (const [url, body] of [
        ['/api/v1/auth/login', { username: nasty, password: nasty }],
        ['/api/v1/auth/mfa/totp', { challenge: nasty, code: nasty }],
        ['/api/v1/auth/mfa/recovery', { challenge: nasty, code: nasty }],
        ['/api/v1/groups', { name: nasty, description: nasty }],
        ['/api/v1/roles', { name: nasty, description: nasty, permissions: [nasty] }],
        ['/api/v1/role-assignments', { roleId: nasty, subjectType: 'user', subjectId: nasty }],
        ['/api/v1/me/tokens', { name: nasty, scopes: [nasty], expiresInSeconds: 600 }],
      ] as const) {
        const reply = await c.post(url, body, url.includes('/auth/') ? undefined : admin.token);
        expect(reply.status, `${url} ${nasty}`).toBeGreaterThanOrEqual(400);
        expect(reply.status, `${url} ${nasty}`).toBeLessThan(500);
        expect(typeof reply.body.error.code).toBe('string');
      }
      const lookup = await c.get(`/api/v1/users/${encodeURIComponent(nasty)}`, admin.token);
      expect([400, 404]).toContain(lookup.status);
      expect((await c.get(`/api/v1/role-assignments?subjectId=${encodeURIComponent(nasty)}`, admin.token)).body.items).toEqual([]);
    }
    const groupDesc = await c.post('/api/v1/groups', { name: 'quoted group', description: sqlNasties[0] }, admin.token);
    expect(groupDesc.status).toBe(201);
    expect(await count('roles')).toBeGreaterThan(0);
  });

  it('answers malformed JSON, unknown fields, wrong types and huge bodies with stable 4xx codes', async () => {
    const c = client(h.app);
    const users = await count('users');
    const malformed = await c.call('POST', '/api/v1/users', { token: admin.token, raw: '{"username": "x",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    const loginMalformed = await c.call('POST', '/api/v1/auth/login', { raw: '{username:admin}' });
    expect(loginMalformed.body.error.code).toBe('MALFORMED_JSON');
    const unknown = await c.post('/api/v1/users', { username: 'eve', displayName: 'Eve', isAdmin: true }, admin.token);
    expect(unknown.body.error.code).toBe('VALIDATION_FAILED');
    expect(unknown.body.error.message).toContain('isAdmin');
    const wrongType = await c.post('/api/v1/auth/login', { username: { name: 'admin' }, password: 12 });
    expect(wrongType.body.error.code).toBe('VALIDATION_FAILED');
    const missing = await c.post('/api/v1/auth/login', { username: 'admin' });
    expect(missing.body.error.code).toBe('VALIDATION_FAILED');
    const huge = await c.post('/api/v1/users', { username: 'big', displayName: 'x'.repeat(2 * 1024 * 1024) }, admin.token);
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('BODY_TOO_LARGE');
    const longPassword = await c.post('/api/v1/auth/login', { username: 'admin', password: 'p'.repeat(5000) });
    expect(longPassword.body.error.code).toBe('VALIDATION_FAILED');
    const wrongMedia = await c.call('POST', '/api/v1/auth/login', { raw: 'username=admin', contentType: 'application/x-www-form-urlencoded' });
    expect(wrongMedia.status).toBe(415);
    expect(await count('users')).toBe(users);
  });

  it('computes transitive group membership and grants roles through nested groups until they expire', async () => {
    const c = client(h.app);
    const nurse = await h.service.createUser({ username: 'nurse-jo', displayName: 'Jo', kind: 'human', department: 'ICU' }, actor);
    const icu = (await c.post('/api/v1/groups', { name: 'ICU nurses' }, admin.token)).body;
    const clinical = (await c.post('/api/v1/groups', { name: 'Clinical staff' }, admin.token)).body;
    const put = await c.call('PUT', `/api/v1/groups/${icu.id}/members/user/${nurse.id}`, { token: admin.token });
    expect(put.body).toEqual({ ok: true });
    expect((await c.call('PUT', `/api/v1/groups/${clinical.id}/members/group/${icu.id}`, { token: admin.token })).status).toBe(200);
    const circular = await c.call('PUT', `/api/v1/groups/${icu.id}/members/group/${clinical.id}`, { token: admin.token });
    expect(circular.status).toBe(409);
    expect(circular.body.error.code).toBe('CONFLICT');
    expect((await h.service.transitiveGroups(nurse.id)).map((g) => g.name).sort()).toEqual(['Clinical staff', 'ICU nurses']);

    const role = await c.post('/api/v1/roles', { name: 'ehr-requester', permissions: ['access.request', 'inventory.read'], idleTimeoutSeconds: 600 }, admin.token);
    expect(role.status).toBe(201);
    const bad = await c.post('/api/v1/roles', { name: 'bad-role', permissions: ['access.request', 'root.everything'] }, admin.token);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const duplicate = await c.post('/api/v1/roles', { name: 'EHR-Requester', permissions: [] }, admin.token);
    expect(duplicate.body.error.code).toBe('NAME_TAKEN');
    const assigned = await c.post('/api/v1/role-assignments', { roleId: role.body.id, subjectType: 'group', subjectId: clinical.id, expiresAt: h.clock.now() + 3_600_000 }, admin.token);
    expect(assigned.status).toBe(201);
    const twice = await c.post('/api/v1/role-assignments', { roleId: role.body.id, subjectType: 'group', subjectId: clinical.id }, admin.token);
    expect(twice.body.error.code).toBe('CONFLICT');

    const directory = await h.service.directory();
    const entry = directory.byId.get(nurse.id)!;
    expect(entry.groups.map((g) => g.name)).toEqual(['Clinical staff', 'ICU nurses']);
    expect(entry.roles.map((r) => r.name)).toEqual(['ehr-requester']);
    expect(entry.permissions).toEqual(['access.request', 'inventory.read']);
    expect(directory.validUntil).toBe(h.clock.now() + 3_600_000);
    const shown = await c.get(`/api/v1/users/${nurse.id}`, admin.token);
    expect(shown.body.permissions).toEqual(['access.request', 'inventory.read']);

    h.clock.advance(3_600_001);
    expect((await h.service.directory()).byId.get(nurse.id)!.roles).toEqual([]);
    admin = await adminWithMfa(h); // the old session idled out while time moved on

    expect((await c.call('DELETE', `/api/v1/groups/${icu.id}/members/user/${nurse.id}`, { token: admin.token })).status).toBe(200);
    expect(await h.service.transitiveGroups(nurse.id)).toEqual([]);
    for (const action of ['identity.group.created', 'identity.group.member.added', 'identity.group.member.removed', 'identity.role.created', 'identity.role.assigned']) {
      expect(h.audit.find(action).length, action).toBeGreaterThan(0);
    }
    const changes = h.events.filter((e) => e.name === 'identity.directory.changed').length;
    await c.call('PATCH', `/api/v1/roles/${role.body.id}`, { token: admin.token, body: { permissions: ['access.request'] } });
    expect(h.events.filter((e) => e.name === 'identity.directory.changed').length).toBe(changes + 1);
    expect(h.audit.find('identity.role.updated').at(-1)?.details?.previousPermissions).toEqual(['access.request', 'inventory.read']);
    const unassign = await c.call('DELETE', `/api/v1/role-assignments/${assigned.body.id}`, { token: admin.token });
    expect(unassign.status).toBe(200);
    expect(h.audit.find('identity.role.unassigned').length).toBe(1);
    const removed = await c.call('DELETE', `/api/v1/groups/${clinical.id}`, { token: admin.token });
    expect(removed.status).toBe(200);
    expect(h.audit.find('identity.group.deleted').length).toBe(1);
  });

  it('documents every identity route in the OpenAPI description', async () => {
    const reply = await client(h.app).get('/api/openapi.json');
    expect(reply.status).toBe(200);
    const paths = Object.keys(reply.body.paths);
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/mfa/totp', '/api/v1/me', '/api/v1/users/{id}', '/api/v1/role-assignments', '/api/v1/me/tokens']) {
      expect(paths).toContain(path);
    }
    expect(reply.body.paths['/api/v1/users'].post.security).toEqual([{ bearer: [] }]);
  });

  it('answers 403 to people without the permission and 404 for unknown ids', async () => {
    const c = client(h.app);
    await h.service.createUser({ username: 'plain-pat', displayName: 'Pat', password: strongPassword }, actor);
    const login = await c.post('/api/v1/auth/login', { username: 'plain-pat', password: strongPassword });
    expect((await c.get('/api/v1/users', login.body.token)).body.error.code).toBe('AUTH_MFA_ENROLMENT_REQUIRED');
    const missing = await c.get('/api/v1/users/00000000-0000-7000-8000-000000000000', admin.token);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const noGroup = await c.call('PUT', '/api/v1/groups/nope/members/user/nope', { token: admin.token });
    expect(noGroup.status).toBe(404);
  });
});

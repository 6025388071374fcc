// Walks every route the fully composed server registered and proves that anonymous callers get 401 and a
// signed-in user (MFA enrolled) without the route's permission gets 403, on every non-public route.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { startTestWard, signInWithTotp, type TestWard } from '../support/ward.js';

const PASSWORD = 'plain-Nurse-station-Ward-7734';

function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => (name === 'type' ? 'user' : '0190a0b0-0000-7000-8000-000000000000'));
}

describeEachDialect('route security', (ctx) => {
  let t: TestWard;
  let unprivileged: string;
  beforeAll(async () => {
    t = await startTestWard(ctx.dialect);
    await t.ward.identity.createUser(
      { username: 'no.rights', displayName: 'No Rights', password: PASSWORD },
      { system: "test" },
    );
    unprivileged = (await signInWithTotp(t, 'no.rights', PASSWORD)).token;
  });
  afterAll(() => t?.close());

  it('registers routes of every access kind, each with a declared access', () => {
    const kinds = new Set(t.ward.routes.map((r) => (r.access === 'public' || r.access === 'authenticated' ? r.access : 'permission')));
    expect([...kinds].sort()).toEqual(['authenticated', 'permission', 'public']);
    expect(t.ward.routes.length).toBeGreaterThan(30);
  });

  it('refuses anonymous callers with 401 on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of t.ward.routes.filter((r) => r.access !== 'public')) {
      const res = await t.ward.app.inject({ method: route.method as 'GET', url: concrete(route.url) });
      if (res.statusCode !== 401 || res.json().error.code !== 'AUTH_REQUIRED') failures.push(`${route.method} ${route.url} → ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses a bogus bearer token with 401 on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of t.ward.routes.filter((r) => r.access !== 'public')) {
      const res = await t.ward.app.inject({ method: route.method as 'GET', url: concrete(route.url), headers: { authorization: 'Bearer not-a-token' } });
      if (res.statusCode !== 401) failures.push(`${route.method} ${route.url} → ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses a signed-in user without the permission with 403 on every permission route', async () => {
    const failures: string[] = [];
    const guarded = t.ward.routes.filter((r) => r.access !== 'public' && r.access !== 'authenticated');
    for (const route of guarded) {
      const res = await t.ward.app.inject({ method: route.method as 'GET', url: concrete(route.url), headers: { authorization: `Bearer ${unprivileged}` } });
      const body = res.json() as { error?: { code?: string } };
      if (res.statusCode !== 403 || body.error?.code !== 'PERMISSION_DENIED') failures.push(`${route.method} ${route.url} → ${res.statusCode} ${body.error?.code}`);
    }
    expect(guarded.length).toBeGreaterThan(10);
    expect(failures).toEqual([]);
  });
});

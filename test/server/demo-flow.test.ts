// The demo hospital through the composed server and the public API, with the default Cedar policy pack deciding:
// a DBA asks for the EHR database, two approvers (one her manager) approve, the grant is active; a network admin
// is refused by policy with the reason in words; nobody approves their own request; a clinical engineer breaks
// the glass on an infusion gateway and gets an immediate grant.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { startTestWard, signInWithTotp, totpNow, ADMIN_PASSWORD, type TestWard } from '../support/ward.js';
import { loadDemoHospital } from '../../src/server/demo.js';

describeEachDialect('demo hospital access flow', (ctx) => {
  let t: TestWard;
  const tokens: Record<string, string> = {};
  const factors: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestWard(ctx.dialect);
    await loadDemoHospital(t.ward);
    const { userPassword } = JSON.parse(
      (await import('node:fs')).readFileSync(`${t.dataDir}/demo-credentials.json`, 'utf8'),
    ) as { userPassword: string };
    for (const user of ['dana.okafor', 'maria.chen', 'sam.patel', 'nina.ruiz', 'carl.berg']) {
      const signedIn = await signInWithTotp(t, user, userPassword);
      tokens[user] = signedIn.token;
      factors[user] = signedIn.totpSecret;
    }
    tokens.admin = (await signInWithTotp(t, 'admin', ADMIN_PASSWORD)).token;
  });
  afterAll(() => t?.close());

  const call = (user: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.ward.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[user]}` }, ...(payload ? { payload } : {}) });

  it('lets an EHR DBA ask for the EHR database and get it after two approvals, one from her manager', async () => {
    const created = await call('dana.okafor', 'POST', '/api/v1/access/requests', {
      target: 'ehr-db-01', account: 'ehr_dba', durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification: 'index rebuild', ticket: 'CHG-1042',
    });
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json();
    expect(request.status).toBe('pending');
    expect(request.policyIds).toEqual(expect.arrayContaining(['role.ehr-dba.ehr-databases']));

    const own = await call('dana.okafor', 'POST', `/api/v1/access/approvals/${request.id}/approve`);
    expect(own.statusCode).toBe(403);

    const first = await call('sam.patel', 'POST', `/api/v1/access/approvals/${request.id}/approve`, { note: 'ok' });
    expect(first.statusCode, first.body).toBe(200);
    const second = await call('maria.chen', 'POST', `/api/v1/access/approvals/${request.id}/approve`, { note: 'approved as manager' });
    expect(second.statusCode, second.body).toBe(200);

    const grants = await call('dana.okafor', 'GET', '/api/v1/access/grants');
    expect(grants.json().items.map((g: { targetName: string }) => g.targetName)).toContain('ehr-db-01');
  });

  it('refuses a network administrator the EHR database by policy, saying why', async () => {
    const refused = await call('nina.ruiz', 'POST', '/api/v1/access/requests', {
      target: 'ehr-db-01', durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification: 'checking replication lag', ticket: 'CHG-1',
    });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().error.code).toBe('POLICY_DENIED');
    expect(refused.json().error.message).toContain('ehr-db-01');
  });

  it('gives a clinical engineer break-glass access to an infusion gateway at once', async () => {
    const glass = await call('carl.berg', 'POST', '/api/v1/access/breakglass', {
      target: 'infusion-gw-01', reasonCode: 'ETREAT', justification: 'pump library push failing on ward 4B',
    });
    expect(glass.statusCode, glass.body).toBe(201);
    expect(glass.json().grant.breakglass).toBe(true);
    const events = await t.ward.audit.search({ action: 'access.breakglass.started', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]!.reasonCode).toBe('ETREAT');
  });

  it('reveals an EHR password to its DBA with a ticket, and refuses a sysadmin by policy, both audited', async () => {
    const target = (await call('admin', 'GET', '/api/v1/targets?limit=100')).json().items.find((x: { name: string }) => x.name === 'ehr-db-01');
    const account = (await call('admin', 'GET', `/api/v1/targets/${target.id}/accounts`)).json().items.find((a: { username: string }) => a.username === 'ehr_dba');
    const stored = await call('admin', 'POST', `/api/v1/accounts/${account.id}/secrets`, { kind: 'password', value: 'Ehr-DBA-known-Password-91!' });
    expect(stored.statusCode, stored.body).toBe(201);
    const secretId = stored.json().id as string;
    // Reveal is a step-up route: both people confirm with their second factor first.
    for (const user of ['dana.okafor', 'sam.patel']) {
      const stepUp = await call(user, 'POST', '/api/v1/auth/step-up/totp', { code: totpNow(factors[user]!, t.clock) });
      expect(stepUp.statusCode, stepUp.body).toBe(200);
    }
    t.clock.advance(30_000);

    const shown = await call('dana.okafor', 'POST', `/api/v1/secrets/${secretId}/reveal`, { reasonCode: 'HSYSADMIN', ticket: 'CHG-1042', justification: 'vendor support call' });
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json().value).toBe('Ehr-DBA-known-Password-91!');

    const refused = await call('sam.patel', 'POST', `/api/v1/secrets/${secretId}/reveal`, { reasonCode: 'HSYSADMIN', ticket: 'CHG-1042', justification: 'curious about the EHR' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('POLICY_DENIED');
    expect(refused.body).not.toContain('Ehr-DBA-known-Password-91!');

    const reveals = await t.ward.audit.search({ action: 'vault.secret.revealed', limit: 10 });
    expect(reveals.map((e) => e.outcome).sort()).toEqual(['denied', 'success']);
    expect(reveals.find((e) => e.outcome === 'success')!.policyIds).toEqual(expect.arrayContaining(['role.ehr-dba.reveal']));
  });
});

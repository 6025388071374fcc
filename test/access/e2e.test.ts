// The whole JIT flow through the HTTP API and the `ward` CLI against a listening server, on both dialects.
// Identity is not merged yet: a test Authenticator maps fixed tokens to principals, and stub login routes
// stand in for /api/v1/auth so `ward login` can be exercised end to end.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { describeEachDialect } from '../support/dialects.js';
import { createHttpApp } from '../../src/server/http/app.js';
import type { Principal, WardApp } from '../../src/server/http/types.js';
import { createLogger } from '../../src/platform/logger.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createEventBus, type DomainEvents } from '../../src/platform/events.js';
import { WardError } from '../../src/platform/errors.js';
import { createMemoryAuditLog } from '../../src/audit/memory.js';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { accessRoutes, createAccessService, createMemoryNotifier, createRiskTierPolicy, registerAccessMetrics, type AccessService } from '../../src/access/index.js';
import { createFixtureDirectory, createFixtureInventory, seedHospital, type FixtureDirectory } from '../../src/access/fixtures.js';

describeEachDialect('access end to end', (ctx) => {
  const clock = createManualClock(Date.now());
  let directory: FixtureDirectory;
  let service: AccessService;
  let app: WardApp;
  let baseUrl: string;
  let registered: { method: string; url: string; access: string; stepUp: boolean }[] = [];
  const audit = createMemoryAuditLog(clock.now);
  const notifier = createMemoryNotifier();
  const ended: DomainEvents['access.grant.ended'][] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ward-access-e2e-'));
  const sessionFile = join(dir, 'session.json');
  const previousSessionFile = process.env.WARD_SESSION_FILE;

  function principalFor(userId: string, mfaVerifiedAt: number | null): Principal {
    const actor = directory.actor(userId, { mfaVerifiedAt });
    const user = directory.users.get(userId)!;
    return { ...actor, displayName: user.displayName, credential: { kind: 'session', id: `s-${userId}` }, mfaEnrolled: true };
  }

  beforeAll(async () => {
    process.env.WARD_SESSION_FILE = sessionFile;
    directory = createFixtureDirectory();
    const inventory = createFixtureInventory();
    seedHospital(directory, inventory);
    directory.grant('sam', 'metrics.read');
    const events = createEventBus();
    events.subscribe('access.grant.ended', (e) => ended.push(e));
    service = createAccessService({
      db: ctx.database.db,
      directory,
      inventory,
      policy: createRiskTierPolicy(),
      audit,
      clock,
      events,
      notifier,
      publicUrl: 'https://ward.example.org',
      standingAdminCount: async () => 2,
    });
    await service.start();
    const metrics = new Registry();
    registerAccessMetrics(metrics, () => service.metrics());
    const built = await createHttpApp({
      logger: createLogger({ level: 'silent' }),
      bodyLimitBytes: 1024 * 1024,
      stepUpMaxAgeSeconds: 300,
      metrics,
      now: clock.now,
      ready: async () => ({ ready: true, checks: {} }),
      authenticator: {
        async authenticate(token) {
          const match = /^tok-(stale-)?([a-z]+)$/.exec(token);
          if (!match || !directory.users.has(match[2]!)) throw new WardError('AUTH_REQUIRED');
          return principalFor(match[2]!, match[1] ? null : clock.now() - 1000);
        },
      },
      routes: [
        accessRoutes(service),
        (scope) => {
          // Stand-ins for identity's login so `ward login` can be tested before identity is merged.
          scope.post(
            '/api/v1/auth/login',
            { config: { access: 'public' }, schema: { body: Type.Object({ username: Type.String(), password: Type.String() }, { additionalProperties: false }) } },
            async (request) => {
              if (request.body.password !== 'correct horse battery staple') throw new WardError('AUTH_INVALID_CREDENTIALS');
              return { mfaRequired: true, challenge: `ch-${request.body.username}`, methods: ['totp'] };
            },
          );
          scope.post(
            '/api/v1/auth/mfa/totp',
            { config: { access: 'public' }, schema: { body: Type.Object({ challenge: Type.String(), code: Type.String() }, { additionalProperties: false }) } },
            async (request) => {
              if (request.body.code !== '123456') throw new WardError('AUTH_MFA_INVALID');
              return { token: `tok-${request.body.challenge.slice(3)}` };
            },
          );
          scope.post('/api/v1/auth/logout', { config: { access: 'authenticated' } }, async () => ({ ok: true }));
        },
      ],
    });
    app = built.app;
    registered = built.routes;
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await service?.stop();
    await app?.close();
    if (previousSessionFile === undefined) delete process.env.WARD_SESSION_FILE;
    else process.env.WARD_SESSION_FILE = previousSessionFile;
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, token: string | null, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });

  async function cli(args: string[], token?: string): Promise<{ code: number; out: string; err: string }> {
    const env: Record<string, string | undefined> = { WARD_URL: baseUrl, WARD_SESSION_FILE: sessionFile, WARD_DATA_DIR: dir, WARD_LOG_LEVEL: 'silent' };
    if (token) env.WARD_TOKEN = token;
    const context = createCliContext(env);
    let out = '';
    let err = '';
    context.out = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    context.err = { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream;
    const code = await runCli(args, context);
    return { code, out, err };
  }

  it('declares the documented permission on every access route and step-up on break-glass', () => {
    const access = Object.fromEntries(registered.filter((r) => r.url.startsWith('/api/v1/access')).map((r) => [`${r.method} ${r.url}`, r.access]));
    expect(access).toMatchObject({
      'POST /api/v1/access/requests': 'access.request',
      'GET /api/v1/access/grants': 'access.request',
      'POST /api/v1/access/approvals/:id/approve': 'access.approve',
      'POST /api/v1/access/approvals/:id/deny': 'access.approve',
      'POST /api/v1/access/grants/:id/revoke': 'access.revoke',
      'POST /api/v1/access/breakglass': 'access.breakglass',
      'GET /api/v1/access/reviews': 'access.reviews',
      'PUT /api/v1/access/oncall': 'access.oncall.manage',
      'GET /api/v1/access/metrics': 'metrics.read',
    });
    expect(registered.filter((r) => r.stepUp).map((r) => r.url)).toEqual(['/api/v1/access/breakglass']);
  });

  it('runs request → two approvals → grant → expiry through the API', async () => {
    const justification = 'apply EHR schema migration 42';
    const missingTicket = await call('POST', '/api/v1/access/requests', 'tok-alice', { target: 'ehr-db', account: 'postgres', durationSeconds: 1800, reasonCode: 'HSYSADMIN', justification });
    expect(missingTicket.statusCode).toBe(422);
    expect(missingTicket.json().error.code).toBe('REQUEST_INVALID');
    expect(missingTicket.json().error.message).toContain('ticket');

    const created = await call('POST', '/api/v1/access/requests', 'tok-alice', { target: 'ehr-db', account: 'postgres', durationSeconds: 1800, reasonCode: 'HSYSADMIN', justification, ticket: 'CHG-7' });
    expect(created.statusCode).toBe(201);
    const request = created.json();
    expect(request.status).toBe('pending');

    const queue = await call('GET', '/api/v1/access/approvals', 'tok-bob');
    expect(queue.json().items.map((r: { id: string }) => r.id)).toContain(request.id);
    expect((await call('POST', `/api/v1/access/approvals/${request.id}/approve`, 'tok-alice', {})).json().error.code).toBe('PERMISSION_DENIED');
    expect((await call('POST', `/api/v1/access/approvals/${request.id}/approve`, 'tok-bob', { note: 'looks right' })).json().status).toBe('pending');
    const twice = await call('POST', `/api/v1/access/approvals/${request.id}/approve`, 'tok-bob', {});
    expect(twice.statusCode).toBe(409);
    const final = await call('POST', `/api/v1/access/approvals/${request.id}/approve`, 'tok-owen', {});
    expect(final.json().status).toBe('approved');

    const grants = (await call('GET', '/api/v1/access/grants', 'tok-alice')).json().items;
    const grant = grants.find((g: { requestId: string }) => g.requestId === request.id);
    expect(grant).toMatchObject({ state: 'active', targetName: 'ehr-db', accountName: 'postgres' });

    clock.advance(1800_000);
    await service.tick();
    expect(ended.find((e) => e.grantId === grant.id)?.reason).toBe('expired');
    const after = await call('POST', `/api/v1/access/approvals/${request.id}/approve`, 'tok-maria', {});
    expect(after.json().error.code).toBe('REQUEST_NOT_PENDING');
  });

  it('explains bad input through the API and accepts a window given as ISO time or epoch milliseconds', async () => {
    const body = { target: 'wiki-01', durationSeconds: 600, reasonCode: 'HSYSADMIN', justification: 'rotate the wiki TLS certificate' };
    const past = await call('POST', '/api/v1/access/requests', 'tok-alice', { ...body, startsAt: new Date(clock.now() - 86_400_000).toISOString() });
    expect(past.statusCode).toBe(422);
    expect(past.json().error.message).toContain('past');
    const garbage = await call('POST', '/api/v1/access/requests', 'tok-alice', { ...body, startsAt: 'tomorrow-ish' });
    expect(garbage.json().error.code).toBe('REQUEST_INVALID');
    const absurd = await call('POST', '/api/v1/access/requests', 'tok-alice', { ...body, durationSeconds: 90 * 86_400 });
    expect(absurd.statusCode).toBe(422);
    expect(absurd.json().error.details).toMatchObject({ field: 'durationSeconds' });
    const unknownField = await call('POST', '/api/v1/access/requests', 'tok-alice', { ...body, admin: true });
    expect(unknownField.json().error.code).toBe('VALIDATION_FAILED');
    const iso = await call('POST', '/api/v1/access/requests', 'tok-alice', { ...body, startsAt: new Date(clock.now() + 600_000).toISOString() });
    expect(iso.statusCode).toBe(201);
    expect(iso.json().startsAt).toBe(clock.now() + 600_000);
    const epoch = await call('POST', '/api/v1/access/requests', 'tok-alice', { ...body, startsAt: clock.now() + 1_200_000 });
    expect(epoch.json().startsAt).toBe(clock.now() + 1_200_000);
    const scheduled = (await call('GET', '/api/v1/access/grants', 'tok-alice')).json().items.find((g: { id: string }) => g.id === epoch.json().grantId);
    expect(scheduled.state).toBe('scheduled');
  });

  it('breaks the glass only with a fresh factor and a justification, then the manager attests', async () => {
    const stale = await call('POST', '/api/v1/access/breakglass', 'tok-stale-alice', { target: 'pacs', reasonCode: 'BTG', justification: 'code blue in radiology' });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('AUTH_STEP_UP_REQUIRED');
    const unjustified = await call('POST', '/api/v1/access/breakglass', 'tok-alice', { target: 'pacs', reasonCode: 'BTG' });
    expect(unjustified.statusCode).toBe(422);
    expect(unjustified.json().error.message).toContain('justification');
    const started = await call('POST', '/api/v1/access/breakglass', 'tok-alice', { target: 'pacs', reasonCode: 'BTG', justification: 'code blue in radiology' });
    expect(started.statusCode).toBe(201);
    const { grant, review } = started.json();
    expect(grant.state).toBe('active');
    const reviews = (await call('GET', '/api/v1/access/reviews', 'tok-maria')).json().items;
    expect(reviews.map((r: { id: string }) => r.id)).toContain(review.id);
    const attested = await call('POST', `/api/v1/access/reviews/${review.id}`, 'tok-maria', { outcome: 'appropriate', note: 'confirmed with radiology' });
    expect(attested.json()).toMatchObject({ status: 'completed', outcome: 'appropriate' });
    await service.flush();
    expect(notifier.sent.some((n) => n.kind === 'breakglass.started' && n.context.grantId === grant.id)).toBe(true);
  });

  it('serves metrics over the API and to Prometheus, and refuses callers without permission', async () => {
    const metrics = await call('GET', '/api/v1/access/metrics', 'tok-sam');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.json()).toMatchObject({ standingAdminCount: 2 });
    expect(metrics.json().breakglassCount).toBeGreaterThanOrEqual(1);
    const prom = await call('GET', '/metrics', 'tok-sam');
    expect(prom.body).toContain('ward_access_standing_admin_assignments 2');
    expect(prom.body).toMatch(/ward_access_breakglass_total_30d [1-9]/);
    expect((await call('GET', '/api/v1/access/metrics', 'tok-alice')).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/access/requests', null)).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/access/grants/x/revoke', 'tok-alice', {})).statusCode).toBe(403);
  });

  it('imports an on-call file and auto-approves the on-call engineer', async () => {
    const now = clock.now();
    const csv = `zone,user,start,end\nicu,dave,${new Date(now - 3600_000).toISOString()},${new Date(now + 8 * 3600_000).toISOString()}\n`;
    directory.grant('sam', 'access.oncall.manage');
    const imported = await call('PUT', '/api/v1/access/oncall', 'tok-sam', { source: 'icu-rota', file: { format: 'csv', content: csv } });
    expect(imported.json()).toEqual({ imported: 1 });
    const request = await call('POST', '/api/v1/access/requests', 'tok-dave', { target: 'infusion-gw', durationSeconds: 3600, reasonCode: 'TREAT', justification: 'pump library update failing on ward 3' });
    expect(request.json()).toMatchObject({ status: 'approved', onCall: true, autoApproved: true });
  });

  it('does the same through the CLI: request, login, approve, grants, break-glass, reviews, logout', async () => {
    const requested = await cli(['request', 'lab-app', '-d', '30m', '-r', 'HSYSADMIN', '-j', 'restart the lab interface engine', '--json'], 'tok-alice');
    expect(requested.err).toBe('');
    expect(requested.code).toBe(0);
    const request = JSON.parse(requested.out) as { id: string; status: string };
    expect(request.status).toBe('pending');

    const bad = await cli(['request', 'no-such-host', '-d', '30m', '-r', 'HSYSADMIN', '-j', 'restart the lab interface engine'], 'tok-alice');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('REQUEST_INVALID');

    writeFileSync(join(dir, 'password'), 'correct horse battery staple\n');
    const login = await cli(['login', '--url', baseUrl, '-u', 'bob', '--password-file', join(dir, 'password'), '--code', '123456']);
    expect(login.err).toBe('');
    expect(login.out).toContain('Signed in');
    expect(existsSync(sessionFile)).toBe(true);

    const queue = await cli(['requests', '--approvals']);
    expect(queue.out).toContain(request.id);
    const approved = await cli(['approve', request.id, '-n', 'ok']);
    expect(approved.code).toBe(0);
    expect(approved.out).toContain('approved');

    const grants = await cli(['grants'], 'tok-alice');
    expect(grants.out).toContain('lab-app');

    const glass = await cli(['breakglass', 'pacs', '-r', 'etreat', '-j', 'ventilator alarms not reaching PACS'], 'tok-alice');
    expect(glass.code).toBe(0);
    expect(glass.out).toContain('BREAK-GLASS active');
    const reviews = await cli(['reviews', '--json'], 'tok-maria');
    const pending = JSON.parse(reviews.out) as { id: string }[];
    expect(pending.length).toBeGreaterThanOrEqual(1);
    const attest = await cli(['reviews', '--attest', pending[0]!.id, '--outcome', 'appropriate'], 'tok-maria');
    expect(attest.out).toContain('completed');

    const logout = await cli(['logout']);
    expect(logout.out).toContain('Signed out');
    expect(existsSync(sessionFile)).toBe(false);
  });
});

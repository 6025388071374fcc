// The audit HTTP API over a real store: filtered search with cursors, exports, tail, and that reading is audited.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { describeEachDialect } from '../support/dialects.js';
import { createHttpApp } from '../../src/server/http/app.js';
import { createLogger } from '../../src/platform/logger.js';
import { WardError } from '../../src/platform/errors.js';
import type { Permission } from '../../src/platform/permissions.js';
import type { Principal, WardApp } from '../../src/server/http/types.js';
import { auditRoutes } from '../../src/audit/routes.js';
import { createAuditOutbox } from '../../src/audit/outbox.js';
import type { AuditRecord } from '../../src/audit/types.js';
import type { AuditTrail } from '../../src/audit/service.js';
import { appendMany, resetAudit, testKeys, trailFor } from './helpers.js';
import { runCli } from '../../src/cli/main.js';
import { createApiClient } from '../../src/cli/client.js';
import { loadConfig } from '../../src/platform/config.js';
import type { CliContext } from '../../src/cli/context.js';

function principal(name: string, permissions: Permission[]): Principal {
  return { userId: `id-${name}`, username: name, displayName: name, kind: 'human', permissions: new Set(permissions), credential: { kind: 'session', id: `s-${name}` }, mfaEnrolled: true, mfaVerifiedAt: null };
}

describeEachDialect('audit API', (ctx) => {
  let app: WardApp;
  let trail: AuditTrail;
  let records: AuditRecord[];
  const keys = testKeys();
  const auditor = { authorization: 'Bearer auditor' };

  beforeAll(async () => {
    await resetAudit(ctx.database.db);
    trail = trailFor(ctx.database, { interval: 50, keys }).trail;
    records = await appendMany(trail, 30);
    const outbox = createAuditOutbox({ store: trail.store, sinks: [{ name: 'nowhere', deliver: async () => { throw new Error('collector down'); } }], clock: { now: Date.now }, backoff: { initialMs: 10_000, maxMs: 10_000 } });
    outbox.start();
    const users: Record<string, Principal> = {
      auditor: principal('auditor', ['audit.read']),
      clerk: principal('clerk', []),
      officer: principal('officer', ['audit.read', 'audit.manage']),
    };
    ({ app } = await createHttpApp({
      logger: createLogger({ level: 'silent' }),
      authenticator: {
        authenticate: async (token) => {
          const p = users[token];
          if (!p) throw new WardError('AUTH_REQUIRED');
          return p;
        },
      },
      routes: [auditRoutes(trail, { outbox, verifiers: [keys.verifier] })],
      bodyLimitBytes: 1 << 20,
      stepUpMaxAgeSeconds: 300,
      metrics: new Registry(),
      ready: async () => ({ ready: true, checks: {} }),
      now: Date.now,
    }));
    await new Promise((r) => setTimeout(r, 50));
    afterAll(async () => {
      await outbox.stop();
      await app.close();
      await trail.close();
    });
  });

  it('refuses callers without audit.read', async () => {
    const response = await app.inject({ url: '/api/v1/audit/events', headers: { authorization: 'Bearer clerk' } });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('PERMISSION_DENIED');
  });

  it('filters by action, outcome, actor, target, reason code and session, newest first', async () => {
    const get = async (qs: string) => (await app.inject({ url: `/api/v1/audit/events?${qs}`, headers: auditor })).json().items as AuditRecord[];
    expect((await get('action=auth.login&outcome=failure')).map((r) => r.sequence)).toEqual(records.filter((r) => r.action === 'auth.login' && r.outcome === 'failure').map((r) => r.sequence).reverse());
    expect((await get('actor=u-3&action=auth.login')).every((r) => r.actor.id === 'u-3' && r.action === 'auth.login')).toBe(true);
    expect((await get('target=t-pacs&reasonCode=ETREAT')).length).toBe(records.filter((r) => r.target?.id === 't-pacs').length);
    expect((await get(`session=${records[2]!.sessionId!}`)).map((r) => r.id)).toEqual([records[2]!.id]);
    const from = new Date(records[0]!.time).toISOString();
    expect((await get(`from=${from}&to=${records[0]!.time + 1}&actionPrefix=access.&limit=500`)).every((r) => r.action.startsWith('access.'))).toBe(true);
  });

  it('pages with an opaque cursor until the end', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await app.inject({ url: `/api/v1/audit/events?action=access.grant.created&limit=3${cursor ? `&cursor=${cursor}` : ''}`, headers: auditor });
      const body = response.json() as { items: AuditRecord[]; nextCursor: string | null };
      seen.push(...body.items.map((r) => r.sequence));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(records.filter((r) => r.action === 'access.grant.created').map((r) => r.sequence).reverse());
  });

  it('records every search as Audit Log Used with who asked and what', async () => {
    await app.inject({ url: '/api/v1/audit/events?actor=u-1', headers: auditor });
    const [used] = await trail.search({ action: 'audit.log.used', order: 'desc', limit: 1 });
    expect(used).toMatchObject({ actor: { id: 'id-auditor', name: 'auditor', kind: 'user' }, outcome: 'success', details: { 'query.actor': 'u-1' } });
  });

  it('exports JSON lines and CSV oldest first', async () => {
    const jsonl = await app.inject({ url: '/api/v1/audit/events/export?action=auth.login&format=jsonl', headers: auditor });
    expect(jsonl.headers['content-type']).toContain('application/x-ndjson');
    const lines = jsonl.body.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(lines.map((r) => r.sequence)).toEqual(records.filter((r) => r.action === 'auth.login').map((r) => r.sequence));
    const csv = await app.inject({ url: '/api/v1/audit/events/export?action=access.grant.created&format=csv', headers: auditor });
    const rows = csv.body.trim().split('\r\n');
    expect(rows[0]).toMatch(/^sequence,time,nodeId,action,outcome,/);
    expect(rows).toHaveLength(1 + records.filter((r) => r.action === 'access.grant.created').length);
    expect(rows[1]).toContain(',access.grant.created,success,');
    const [exported] = await trail.search({ action: 'audit.log.exported', order: 'desc', limit: 1 });
    expect(exported!.details).toMatchObject({ 'query.format': 'csv' });
  });

  it('tails: a poll after the head returns the next committed event', async () => {
    const start = (await app.inject({ url: '/api/v1/audit/tail', headers: auditor })).json() as { last: number };
    const poll = app.inject({ url: `/api/v1/audit/tail?after=${start.last}&action=auth.logout&waitSeconds=10`, headers: auditor });
    await new Promise((r) => setTimeout(r, 50));
    const appended = await trail.append({ action: 'auth.logout', outcome: 'success', actor: { kind: 'user', id: 'u-9' } });
    const body = (await poll).json() as { items: AuditRecord[]; last: number };
    expect(body.items.map((r) => r.id)).toEqual([appended.id]);
  });

  it('verifies the chain on request for audit.manage holders and records the check', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: auditor })).statusCode).toBe(403);
    const response = await app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: { authorization: 'Bearer officer' } });
    expect(response.json()).toMatchObject({ intact: true, damage: null });
    const [check] = await trail.search({ action: 'audit.log.verified', limit: 1, order: 'desc' });
    expect(check).toMatchObject({ outcome: 'success', actor: { name: 'officer' } });
  });

  it('reports sink health with lag and the last error', async () => {
    const body = (await app.inject({ url: '/api/v1/audit/sinks', headers: auditor })).json() as { items: Array<{ sink: string; lag: number; lastError: string }> };
    expect(body.items[0]).toMatchObject({ sink: 'nowhere', lastError: 'collector down' });
    expect(body.items[0]!.lag).toBeGreaterThan(0);
  });

  it('serves `ward audit search` and `ward audit tail` through the API', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    let out = '';
    const env = { WARD_URL: address, WARD_TOKEN: 'auditor', WARD_SESSION_FILE: '/nonexistent/ward-session.json' };
    const config = loadConfig({ WARD_DATA_DIR: '/tmp/ward-cli-api' });
    const context: CliContext = {
      config: () => config,
      openStore: async () => {
        throw new Error('search and tail go through the API');
      },
      api: () => createApiClient(config, env),
      print: (value) => {
        out += typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value)}\n`;
      },
      out: { write: (s: string | Uint8Array) => ((out += typeof s === 'string' ? s : Buffer.from(s).toString()), true) } as unknown as NodeJS.WritableStream,
      err: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    };
    const grants = records.filter((r) => r.action === 'access.grant.created');
    expect(await runCli(['audit', 'search', '--action', 'access.grant.created', '--limit', '4'], context)).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain(`${grants[grants.length - 1]!.sequence} `);
    expect(lines[0]).toMatch(/success access\.grant\.created by user\d .*ehr-db-01 \[HSYSADMIN CHG-\d+\]/);
    out = '';
    expect(await runCli(['audit', 'search', '--action', 'access.grant.created', '--format', 'jsonl'], context)).toBe(0);
    expect(out.trim().split('\n').map((l) => (JSON.parse(l) as AuditRecord).id)).toEqual(grants.map((r) => r.id));
    out = '';
    expect(await runCli(['audit', 'tail', '--action', 'auth.logout', '--json'], context)).toBe(0);
    expect(out.trim().split('\n').every((l) => (JSON.parse(l) as AuditRecord).action === 'auth.logout')).toBe(true);
  });
});

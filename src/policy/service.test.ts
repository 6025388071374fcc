// The policy engine over a real store (SQLite and PostgreSQL): seeding, apply/history/diff, refusing invalid sets
// without changing anything, following entity changes, audited decisions and swaps under load.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/dialects.js';
import { createMemoryAuditLog } from '../audit/memory.js';
import { createManualClock } from '../platform/clock.js';
import { isWardError } from '../platform/errors.js';
import { createLogger } from '../platform/logger.js';
import { createPolicyEngine, hospitalPackText, type PolicyEngine } from './service.js';
import { createMemoryEntitySource } from './source.js';
import { parsePolicyTestFile } from './testfile.js';
import type { PolicyRequest } from './types.js';

const fixture = parsePolicyTestFile(readFileSync(new URL('./pack/hospital.test.yaml', import.meta.url), 'utf8'));
const baseContext = { networkZone: 'enterprise', deviceTrust: 'managed', onCall: false, emergency: false, vendorWindow: false, mfaAgeSeconds: 60 };
const connect = (user: string, target: string): PolicyRequest => ({
  principal: { type: 'User', id: user },
  action: 'connect',
  resource: { type: 'Target', id: target },
  context: baseContext,
});
const admin = { id: 'wendy', kind: 'user' as const, name: 'wendy' };

describeEachDialect('policy engine', (ctx) => {
  const clock = createManualClock(Date.parse('2026-11-23T10:00:00Z'));
  const audit = createMemoryAuditLog(clock.now);
  const entities = createMemoryEntitySource(fixture.entities);
  let engine: PolicyEngine;

  it('seeds the store with the hospital pack as version 1 on first start', async () => {
    engine = createPolicyEngine({ db: ctx.database.db, audit, clock, entities, logger: createLogger({ level: 'silent' }) });
    await engine.start();
    expect(engine.version).toBe(1);
    expect(engine.active().policies.length).toBeGreaterThan(20);
    expect(audit.find('policy.set.applied')).toHaveLength(1);
    expect(engine.decide(connect('alice', 'ehr-db-01'))).toMatchObject({ decision: 'allow', determining: ['role.ehr-dba.ehr-databases'], version: 1 });
  });

  it('refuses an invalid set with Cedar’s message and line, and changes nothing', async () => {
    const broken = hospitalPackText().replace('context.onCall &&', 'context.oncall &&');
    const error = await engine.apply(broken, { actor: admin }).catch((e: unknown) => e);
    expect(isWardError(error, 'POLICY_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/^line \d+: .*attribute `oncall` in context/);
    expect(engine.version).toBe(1);
    expect(await engine.history()).toHaveLength(1);
    expect(audit.find('policy.set.rejected')).toHaveLength(1);
    expect(engine.decide(connect('alice', 'ehr-db-01')).decision).toBe('allow');
  });

  it('diffs, applies a new version atomically and keeps the history', async () => {
    const next = hospitalPackText().replace(
      '@id("role.network-admin.network")',
      '@id("role.dba.file-servers")\n@description("DBAs may reach file servers.")\npermit (principal in Role::"ehr-dba", action == Action::"connect", resource == Target::"file-srv-01");\n\n@id("role.network-admin.network")',
    );
    expect(engine.diff(next)).toMatchObject({ fromVersion: 1, added: ['role.dba.file-servers'], removed: [], changed: [] });
    expect(engine.decide(connect('alice', 'file-srv-01')).decision).toBe('deny');
    const applied = await engine.apply(next, { actor: admin, comment: 'DBAs need the file share' });
    expect(applied).toMatchObject({ version: 2, comment: 'DBAs need the file share', createdBy: 'wendy' });
    expect(engine.decide(connect('alice', 'file-srv-01'))).toMatchObject({ decision: 'allow', determining: ['role.dba.file-servers'], version: 2 });
    expect((await engine.history()).map((h) => h.version)).toEqual([2, 1]);
    expect((await engine.getVersion(1)).text).toBe(hospitalPackText());
  });

  it('refuses an apply based on a stale version', async () => {
    const error = await engine.apply(hospitalPackText(), { actor: admin, expectedVersion: 1 }).catch((e: unknown) => e);
    expect(isWardError(error, 'CONFLICT')).toBe(true);
    expect(engine.version).toBe(2);
  });

  it('loses no decision while sets are swapped under load', async () => {
    const texts = [hospitalPackText(), engine.active().text];
    let decisions = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        for (let i = 0; i < 200; i++) {
          const d = engine.decide(connect('bob', 'file-srv-01'));
          expect(d.decision).toBe('allow');
          expect(d.refusal).toBeUndefined();
          decisions++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 0; i < 4; i++) await engine.apply(texts[i % 2]!, { actor: admin });
    running = false;
    await load;
    expect(decisions).toBeGreaterThan(0);
    expect(engine.version).toBe(6);
  });

  it('follows entity changes without a restart', async () => {
    expect(engine.decide(connect('nina', 'ehr-db-01')).decision).toBe('deny');
    entities.update((s) => {
      s.users.find((u) => u.id === 'nina')!.roles.push('ehr-dba');
    });
    await engine.refreshEntities();
    expect(engine.decide(connect('nina', 'ehr-db-01')).decision).toBe('allow');
  });

  it('denies unknown entities and incomplete context with a reason instead of throwing', () => {
    expect(engine.decide(connect('ghost', 'ehr-db-01'))).toMatchObject({ decision: 'deny', refusal: 'unknown user "ghost"' });
    expect(engine.decide({ ...connect('alice', 'ehr-db-01'), context: { networkZone: 'vpn' } }).refusal).toBe(
      'missing context fields: deviceTrust, onCall, emergency, vendorWindow',
    );
  });

  it('records audited decisions with the determining policy ids, denials included', async () => {
    const allowed = await engine.authorize(connect('alice', 'ehr-db-01'), { actor: { id: 'alice', kind: 'user' } });
    const denied = await engine.authorize(connect('bob', 'infusion-gw-01'), { actor: { id: 'bob', kind: 'user' } });
    expect(allowed.decision).toBe('allow');
    expect(denied).toMatchObject({ decision: 'deny', determining: ['zone.medical-device-fence'] });
    const events = audit.find('policy.decision');
    expect(events.slice(-2).map((e) => [e.outcome, e.policyIds])).toEqual([
      ['success', ['role.ehr-dba.ehr-databases']],
      ['denied', ['zone.medical-device-fence']],
    ]);
  });

  it('explains a denial in words and shows cedar-wasm fallbacks', async () => {
    const explanation = engine.explain({ ...connect('alice', 'ehr-db-01'), action: 'reveal', resource: { type: 'Account', id: 'ehr-db-01-dba' } });
    expect(explanation.summary).toContain('role.ehr-dba.reveal requires that a ticket is given');
    const withExtension = `${engine.active().text}\n\n@id("net.ip")\n@description("Office network only.")\nforbid (principal, action == Action::"connect", resource) when { ip("10.0.0.1").isInRange(ip("192.168.0.0/16")) };`;
    await engine.apply(withExtension, { actor: admin });
    const fallback = engine.explain(connect('alice', 'ehr-db-01'));
    expect(fallback.decision).toBe('allow');
    expect(fallback.fallbacks).toEqual(['net.ip']);
    expect(fallback.summary).toContain('Evaluated by cedar-wasm');
  });

  it('reloads a set another node applied', async () => {
    const other = createPolicyEngine({ db: ctx.database.db, audit, clock, entities, logger: createLogger({ level: 'silent' }) });
    await other.start();
    await other.apply(hospitalPackText(), { actor: admin });
    await engine.reload();
    expect(engine.version).toBe(other.version);
    other.stop();
    engine.stop();
  });
});

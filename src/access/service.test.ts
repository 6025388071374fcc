import { expect, it } from 'vitest';
import { createManualClock } from '../platform/clock.js';
import { createEventBus, type DomainEvents } from '../platform/events.js';
import { isWardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { createMemoryAuditLog } from '../audit/memory.js';
import { describeEachDialect } from '../../test/support/dialects.js';
import { createAccessService, type AccessServiceDeps } from './service.js';
import { createRiskTierPolicy } from './policy.js';
import { createMemoryNotifier } from './notify.js';
import { createFixtureDirectory, createFixtureInventory, seedHospital } from './fixtures.js';
import type { TicketConnector } from './types.js';

const MIN = 60_000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (isWardError(error)) return error.code;
    throw error;
  }
}

describeEachDialect('access service', (ctx) => {
  function build(overrides: Partial<AccessServiceDeps> = {}) {
    const clock = createManualClock();
    const directory = createFixtureDirectory();
    const inventory = createFixtureInventory();
    seedHospital(directory, inventory);
    const audit = createMemoryAuditLog(clock.now);
    const events = createEventBus();
    const ended: DomainEvents['access.grant.ended'][] = [];
    const started: DomainEvents['access.grant.started'][] = [];
    events.subscribe('access.grant.ended', (e) => ended.push(e));
    events.subscribe('access.grant.started', (e) => started.push(e));
    const notifier = createMemoryNotifier();
    const errors: unknown[] = [];
    const service = createAccessService({
      db: ctx.database.db,
      directory,
      inventory,
      policy: createRiskTierPolicy(),
      audit,
      clock,
      events,
      notifier,
      publicUrl: 'https://ward.example.org/',
      onError: (error) => errors.push(error),
      settings: { repeatedBreakglassCount: 3 },
      ...overrides,
    });
    const as = (id: string, mfaVerifiedAt?: number | null) => directory.actor(id, { mfaVerifiedAt: mfaVerifiedAt === undefined ? clock.now() : mfaVerifiedAt });
    const rows = async (table: 'access_requests' | 'access_grants' | 'access_reviews') =>
      ctx.database.db.selectFrom(table).select('id').execute().then((r) => r.length);
    return { clock, directory, inventory, audit, events, ended, started, notifier, service, as, errors, rows };
  }

  const base = { justification: 'patch CVE-2026-1234 on the host', reasonCode: 'HSYSADMIN' };

  it('auto-approves a low-risk request and the grant is active at once', async () => {
    const t = build();
    const request = await t.service.request(t.as('alice'), { ...base, target: 'wiki-01', account: 'root', durationSeconds: 3600 });
    expect(request.status).toBe('approved');
    expect(request.autoApproved).toBe(true);
    expect(request.grantId).toBeTruthy();
    expect(t.started.map((e) => e.grantId)).toContain(request.grantId);
    const grant = await t.service.activeGrantFor('alice', 'wiki-01', 'wiki-01/root');
    expect(grant?.id).toBe(request.grantId);
    expect(grant?.endsAt).toBe(t.clock.now() + 3600_000);
    expect(t.audit.find('access.request.created')[0]?.outcome).toBe('success');
    expect(t.audit.find('access.grant.created')).toHaveLength(1);
  });

  it('needs one peer for a moderate target and sends approvers a link with the request context', async () => {
    const t = build();
    const request = await t.service.request(t.as('alice'), { ...base, target: 'lab-app', durationSeconds: 1800 });
    expect(request.status).toBe('pending');
    expect(await t.service.activeGrantFor('alice', 'lab-app')).toBeNull();
    await t.service.flush();
    const mail = t.notifier.sent.find((n) => n.kind === 'approval.needed' && n.context.requestId === request.id)!;
    expect(mail.link).toBe(`https://ward.example.org/#/approvals/${request.id}`);
    expect(mail.recipients.map((r) => r.userId)).toEqual(expect.arrayContaining(['bob', 'carol', 'maria']));
    expect(mail.recipients.map((r) => r.userId)).not.toContain('alice');
    expect(mail.context).toMatchObject({ target: 'lab-app', reasonCode: 'HSYSADMIN', justification: base.justification, riskTier: 'moderate' });
    const approved = await t.service.approve(t.as('bob'), request.id, 'ok');
    expect(approved.status).toBe('approved');
    expect((await t.service.activeGrantFor('alice', 'lab-app'))?.id).toBe(approved.grantId);
  });

  it('requires a ticket and two approvals, one from the manager or owner, for a high-risk target', async () => {
    const t = build();
    expect(await codeOf(t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 3600 }))).toBe('REQUEST_INVALID');
    const request = await t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 3600, ticket: 'CHG-1001' });
    expect(request.requiredApprovals).toBe(2);
    const first = await t.service.approve(t.as('bob'), request.id);
    expect(first.status).toBe('pending');
    // Two peers are not enough: the last approval must be the manager's or the owner's.
    expect(await codeOf(t.service.approve(t.as('carol'), request.id))).toBe('SEPARATION_OF_DUTIES');
    const done = await t.service.approve(t.as('owen'), request.id);
    expect(done.status).toBe('approved');
    expect(done.approvals.map((a) => a.approverId)).toEqual(['bob', 'owen']);
    expect(t.audit.find('access.request.approved').filter((e) => e.outcome === 'denied')).toHaveLength(1);
  });

  it('denies approval by the requester and counts nobody twice', async () => {
    const t = build();
    const request = await t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 3600, ticket: 'CHG-1002' });
    expect(await codeOf(t.service.approve(t.as('alice'), request.id))).toBe('SEPARATION_OF_DUTIES');
    expect(await codeOf(t.service.deny(t.as('alice'), request.id))).toBe('SEPARATION_OF_DUTIES');
    await t.service.approve(t.as('maria'), request.id);
    expect(await codeOf(t.service.approve(t.as('maria'), request.id))).toBe('CONFLICT');
    expect((await t.service.getRequest(t.as('alice'), request.id)).status).toBe('pending');
    const audited = t.audit.find('access.request.approved').map((e) => e.outcome);
    expect(audited).toEqual(['denied', 'success', 'failure']);
  });

  it('drops the approval of an approver who lost eligibility before the request completed', async () => {
    const t = build();
    const request = await t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 3600, ticket: 'CHG-1003' });
    await t.service.approve(t.as('eve'), request.id);
    t.directory.revoke('eve', 'access.approve');
    const afterManager = await t.service.approve(t.as('maria'), request.id);
    expect(afterManager.status).toBe('pending');
    expect(afterManager.approvals.find((a) => a.approverId === 'eve')?.valid).toBe(false);
    expect(t.audit.find('access.approval.invalidated')).toHaveLength(1);
    const done = await t.service.approve(t.as('bob'), request.id);
    expect(done.status).toBe('approved');
    // An approver whose role was removed after being notified cannot approve at all.
    const other = await t.service.request(t.as('alice'), { ...base, target: 'lab-app', durationSeconds: 600 });
    expect(await codeOf(t.service.approve(t.as('eve'), other.id))).toBe('PERMISSION_DENIED');
  });

  it('resolves concurrent approve, deny and cancel to exactly one outcome', async () => {
    const t = build();
    for (let round = 0; round < 6; round++) {
      const request = await t.service.request(t.as('alice'), { ...base, target: 'lab-app', durationSeconds: 600 });
      const results = await Promise.all([
        codeOf(t.service.approve(t.as('bob'), request.id)),
        codeOf(t.service.deny(t.as('carol'), request.id, 'no')),
        codeOf(t.service.cancel(t.as('alice'), request.id)),
      ]);
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r !== 'ok').every((r) => r === 'REQUEST_NOT_PENDING')).toBe(true);
      const final = await t.service.getRequest(t.as('alice'), request.id);
      const winner = ['approved', 'denied', 'cancelled'][results.indexOf('ok')];
      expect(final.status).toBe(winner);
      const grants = await ctx.database.db.selectFrom('access_grants').select('id').where('request_id', '=', request.id).execute();
      expect(grants).toHaveLength(winner === 'approved' ? 1 : 0);
    }
  });

  it('grants once when two approvers finish a two-approval request at the same moment', async () => {
    const t = build();
    const request = await t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 600, ticket: 'CHG-1004' });
    const results = await Promise.all([codeOf(t.service.approve(t.as('maria'), request.id)), codeOf(t.service.approve(t.as('owen'), request.id))]);
    expect(results).toEqual(['ok', 'ok']);
    const final = await t.service.getRequest(t.as('alice'), request.id);
    expect(final.status).toBe('approved');
    const same = await Promise.all([codeOf(t.service.approve(t.as('bob'), request.id)), codeOf(t.service.approve(t.as('bob'), request.id))]);
    expect(same).toEqual(['REQUEST_NOT_PENDING', 'REQUEST_NOT_PENDING']);
    const grants = await ctx.database.db.selectFrom('access_grants').select('id').where('request_id', '=', request.id).execute();
    expect(grants).toHaveLength(1);
  });

  it('counts one approval when the same person approves twice concurrently', async () => {
    const t = build();
    const request = await t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 600, ticket: 'CHG-1005' });
    const results = await Promise.all([codeOf(t.service.approve(t.as('bob'), request.id)), codeOf(t.service.approve(t.as('bob'), request.id))]);
    expect(results.sort()).toEqual(['CONFLICT', 'ok']);
    const view = await t.service.getRequest(t.as('alice'), request.id);
    expect(view.status).toBe('pending');
    expect(view.approvals).toHaveLength(1);
  });

  it('ends a grant at its deadline to the millisecond and publishes access.grant.ended', async () => {
    const t = build();
    const host = t.inventory.add({ id: `host-${newId()}` }).id;
    const request = await t.service.request(t.as('alice'), { ...base, target: host, durationSeconds: 90 });
    t.clock.advance(90_000 - 1);
    await t.service.tick();
    expect(await t.service.activeGrantFor('alice', host)).not.toBeNull();
    expect(t.ended.find((e) => e.grantId === request.grantId)).toBeUndefined();
    t.clock.advance(1);
    await t.service.tick();
    expect(t.ended.find((e) => e.grantId === request.grantId)).toEqual({ grantId: request.grantId, userId: 'alice', reason: 'expired' });
    expect(await t.service.activeGrantFor('alice', host)).toBeNull();
    const event = t.audit.find('access.grant.expired').find((e) => e.details?.grantId === request.grantId);
    expect(event?.details?.lateMs).toBe(0);
  });

  it('keeps a future window inactive until it opens', async () => {
    const t = build();
    const startsAt = t.clock.now() + 10 * MIN;
    const host = t.inventory.add({ id: `host-${newId()}` }).id;
    const request = await t.service.request(t.as('alice'), { ...base, target: host, durationSeconds: 600, startsAt });
    expect(t.started.find((e) => e.grantId === request.grantId)).toBeUndefined();
    expect((await t.service.listGrants(t.as('alice'), { scope: 'mine' })).find((g) => g.id === request.grantId)?.state).toBe('scheduled');
    expect(await t.service.activeGrantFor('alice', host)).toBeNull();
    t.clock.set(startsAt);
    await t.service.tick();
    expect(t.started.find((e) => e.grantId === request.grantId)).toBeTruthy();
    expect((await t.service.activeGrantFor('alice', host))?.id).toBe(request.grantId);
  });

  it('revokes a grant after the configured inactivity unless the gateway reports activity', async () => {
    const t = build({ settings: { idleSeconds: 600 } });
    const request = await t.service.request(t.as('alice'), { ...base, target: 'wiki-01', durationSeconds: 3600 });
    t.clock.advance(5 * MIN);
    expect(await t.service.recordActivity(request.grantId!)).toBe(true);
    t.clock.advance(10 * MIN - 1);
    await t.service.tick();
    expect(t.ended.find((e) => e.grantId === request.grantId)).toBeUndefined();
    t.clock.advance(1);
    await t.service.tick();
    expect(t.ended.find((e) => e.grantId === request.grantId)?.reason).toBe('inactive');
    expect(await t.service.recordActivity(request.grantId!)).toBe(false);
  });

  it('lets the holder, an approver of the request and security revoke, and nobody else', async () => {
    const t = build();
    const approvedByBob = await t.service.request(t.as('alice'), { ...base, target: 'lab-app', durationSeconds: 600 });
    await t.service.approve(t.as('bob'), approvedByBob.id);
    expect(await codeOf(t.service.revokeGrant(t.as('carol'), (await t.service.getRequest(t.as('alice'), approvedByBob.id)).grantId!))).toBe('PERMISSION_DENIED');
    const grantId = (await t.service.getRequest(t.as('alice'), approvedByBob.id)).grantId!;
    const revoked = await t.service.revokeGrant(t.as('bob'), grantId, 'task done');
    expect(revoked).toMatchObject({ state: 'ended', endReason: 'revoked', endedBy: 'bob' });
    expect(t.ended.find((e) => e.grantId === grantId)?.reason).toBe('revoked');
    expect(await codeOf(t.service.revokeGrant(t.as('sam'), grantId))).toBe('CONFLICT');
    const other = await t.service.request(t.as('dave'), { ...base, target: 'wiki-01', durationSeconds: 600 });
    expect((await t.service.revokeGrant(t.as('sam'), other.grantId!)).endedBy).toBe('sam');
    const own = await t.service.request(t.as('dave'), { ...base, target: 'wiki-01', durationSeconds: 600 });
    expect((await t.service.revokeGrant(t.as('dave'), own.grantId!)).endReason).toBe('revoked');
  });

  it('refuses bad input with clear errors, writes nothing and audits every refusal', async () => {
    const t = build();
    const before = { requests: await t.rows('access_requests'), grants: await t.rows('access_grants') };
    const alice = t.as('alice');
    const cases: [string, () => Promise<unknown>, string][] = [
      ['window in the past', () => t.service.request(alice, { ...base, target: 'wiki-01', durationSeconds: 600, startsAt: t.clock.now() - 3600_000 }), 'past'],
      ['absurd duration', () => t.service.request(alice, { ...base, target: 'lab-app', durationSeconds: 30 * 24 * 3600 }), 'at most 4 h'],
      ['zero duration', () => t.service.request(alice, { ...base, target: 'lab-app', durationSeconds: 0 }), 'at least 60'],
      ['unknown target', () => t.service.request(alice, { ...base, target: 'no-such-host', durationSeconds: 600 }), 'no target "no-such-host"'],
      ['unknown account', () => t.service.request(alice, { ...base, target: 'wiki-01', account: 'nobody', durationSeconds: 600 }), 'no account'],
      ['missing ticket', () => t.service.request(alice, { ...base, target: 'pacs', durationSeconds: 600 }), 'ticket'],
      ['bad reason code', () => t.service.request(alice, { ...base, target: 'wiki-01', durationSeconds: 600, reasonCode: 'BTG' }), 'Reason code'],
      ['empty justification', () => t.service.request(alice, { ...base, target: 'wiki-01', durationSeconds: 600, justification: '  ' }), 'justification'],
    ];
    for (const [name, promise, fragment] of cases) {
      const error = await promise().then(() => null, (e: unknown) => e);
      expect(isWardError(error, 'REQUEST_INVALID'), name).toBe(true);
      expect((error as Error).message.toLowerCase(), name).toContain(fragment.toLowerCase());
    }
    expect(await t.rows('access_requests')).toBe(before.requests);
    expect(await t.rows('access_grants')).toBe(before.grants);
    expect(t.audit.find('access.request.created').filter((e) => e.outcome === 'failure')).toHaveLength(cases.length);
  });

  it('refuses approving after the window has passed and marks the request expired', async () => {
    const t = build();
    const request = await t.service.request(t.as('alice'), { ...base, target: 'lab-app', durationSeconds: 600 });
    t.clock.advance(601_000);
    expect(await codeOf(t.service.approve(t.as('bob'), request.id))).toBe('REQUEST_NOT_PENDING');
    expect((await t.service.getRequest(t.as('alice'), request.id)).status).toBe('expired');
    expect(t.audit.find('access.request.expired')).toHaveLength(1);
    expect(t.audit.find('access.request.approved')[0]?.outcome).toBe('failure');
  });

  it('auto-approves on-call staff on clinical-critical targets and alerts the approvers', async () => {
    const t = build();
    const now = t.clock.now();
    await t.service.importOnCall(t.as('sam'), 'icu-rota', [{ zone: 'icu', user: 'dave', start: new Date(now - 3600_000).toISOString(), end: new Date(now + 8 * 3600_000).toISOString() }]);
    expect(await t.service.onCallNow('zone-icu')).toEqual(['dave']);
    const request = await t.service.request(t.as('dave'), { ...base, target: 'infusion-gw', durationSeconds: 3600 });
    expect(request).toMatchObject({ status: 'approved', autoApproved: true, onCall: true, policyIds: ['ward.access.oncall.clinical-critical'] });
    await t.service.flush();
    const alert = t.notifier.sent.find((n) => n.kind === 'grant.escalation' && n.context.requestId === request.id)!;
    expect(alert.recipients.map((r) => r.role)).toContain('security');
    expect(alert.recipients.map((r) => r.userId)).toEqual(expect.arrayContaining(['maria', 'bob']));
    // Off call, the same request needs a ticket and two approvals.
    expect(await codeOf(t.service.request(t.as('alice'), { ...base, target: 'infusion-gw', durationSeconds: 3600 }))).toBe('REQUEST_INVALID');
  });

  it('checks tickets with the connector and refuses closed ones', async () => {
    const tickets: TicketConnector = { check: async (ticket) => ({ exists: ticket !== 'CHG-404', open: ticket === 'CHG-OPEN' }) };
    const t = build({ tickets });
    expect(await codeOf(t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 600, ticket: 'CHG-404' }))).toBe('REQUEST_INVALID');
    expect(await codeOf(t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 600, ticket: 'CHG-CLOSED' }))).toBe('REQUEST_INVALID');
    expect(await codeOf(t.service.request(t.as('alice'), { ...base, target: 'ehr-db', durationSeconds: 600, ticket: 'CHG-OPEN' }))).toBe('ok');
  });

  it('breaks the glass at once with a fresh factor, capped, alerting security and opening a review', async () => {
    const t = build();
    const user = `bg-${newId()}`;
    t.directory.add({ id: user, managerId: 'maria' }, ['access.request', 'access.breakglass']);
    const result = await t.service.breakglass(t.as(user), { target: 'pacs', account: 'root', reasonCode: 'ETREAT', justification: 'stroke patient, PACS viewer hung', durationSeconds: 3 * 3600 });
    expect(result.grant.state).toBe('active');
    expect(result.grant.endsAt - t.clock.now()).toBe(3600_000);
    expect(result.request.breakglass).toBe(true);
    expect(result.review).toMatchObject({ reviewerId: 'maria', status: 'open', dueAt: t.clock.now() + 24 * 3600_000 });
    expect((await t.service.activeGrantFor(user, 'pacs', 'pacs/root'))?.id).toBe(result.grant.id);
    const started = t.audit.find('access.breakglass.started')[0]!;
    expect(started).toMatchObject({ outcome: 'success', reasonCode: 'ETREAT', justification: 'stroke patient, PACS viewer hung' });
    expect(started.details?.capped).toBe(true);
    await t.service.flush();
    const alert = t.notifier.sent.find((n) => n.kind === 'breakglass.started')!;
    expect(alert.recipients.map((r) => r.role)).toEqual(expect.arrayContaining(['security', 'manager']));
    expect(alert.recipients.map((r) => r.userId)).toContain('sam');
    expect(t.notifier.sent.find((n) => n.kind === 'review.assigned')?.recipients[0]?.userId).toBe('maria');
    // Expiry stops the emergency override (DICOM 110138).
    t.clock.advance(3600_000);
    await t.service.tick();
    expect(t.ended.find((e) => e.grantId === result.grant.id)?.reason).toBe('expired');
    expect(t.audit.find('access.breakglass.stopped').map((e) => e.details?.grantId)).toContain(result.grant.id);
  });

  it('refuses break-glass without a fresh factor, without justification, with another reason or without entitlement', async () => {
    const t = build();
    const before = await t.rows('access_grants');
    const input = { target: 'pacs', reasonCode: 'BTG', justification: 'code blue, imaging needed now' };
    expect(await codeOf(t.service.breakglass(t.as('alice', null), input))).toBe('AUTH_STEP_UP_REQUIRED');
    expect(await codeOf(t.service.breakglass(t.as('alice', t.clock.now() - 10 * MIN), input))).toBe('AUTH_STEP_UP_REQUIRED');
    expect(await codeOf(t.service.breakglass(t.as('alice'), { ...input, justification: '' }))).toBe('REQUEST_INVALID');
    expect(await codeOf(t.service.breakglass(t.as('alice'), { ...input, reasonCode: 'HSYSADMIN' }))).toBe('REQUEST_INVALID');
    expect(await codeOf(t.service.breakglass(t.as('bob'), input))).toBe('POLICY_DENIED');
    expect(await codeOf(t.service.breakglass(t.as('vic'), input))).toBe('POLICY_DENIED');
    expect(await codeOf(t.service.breakglass(t.as('alice'), { ...input, target: 'nope' }))).toBe('REQUEST_INVALID');
    expect(await t.rows('access_grants')).toBe(before);
    const refusals = t.audit.find('access.breakglass.started');
    expect(refusals).toHaveLength(7);
    expect(refusals.every((e) => e.outcome !== 'success')).toBe(true);
  });

  it('escalates an overdue break-glass review to security and lets only the right people complete it', async () => {
    const t = build({ settings: { reviewDueSeconds: 3600 } });
    const user = `bg-${newId()}`;
    t.directory.add({ id: user, managerId: 'maria' }, ['access.request', 'access.breakglass', 'access.reviews']);
    const { review } = await t.service.breakglass(t.as(user), { target: 'pacs', reasonCode: 'BTG', justification: 'approvers unreachable during outage' });
    expect(await codeOf(t.service.completeReview(t.as(user), review.id, { outcome: 'appropriate' }))).toBe('SEPARATION_OF_DUTIES');
    expect(await codeOf(t.service.completeReview(t.as('bob'), review.id, { outcome: 'appropriate' }))).toBe('PERMISSION_DENIED');
    t.clock.advance(3600_000);
    await t.service.tick();
    expect((await t.service.metrics()).overdueReviews).toBeGreaterThanOrEqual(1);
    await t.service.flush();
    expect(t.notifier.sent.find((n) => n.kind === 'review.overdue' && n.context.reviewId === review.id)?.recipients[0]?.role).toBe('security');
    const listed = await t.service.listReviews(t.as('sam'));
    expect(listed.find((r) => r.id === review.id)?.status).toBe('escalated');
    const done = await t.service.completeReview(t.as('sam'), review.id, { outcome: 'appropriate', note: 'confirmed with ICU lead' });
    expect(done).toMatchObject({ status: 'completed', outcome: 'appropriate', completedBy: 'sam' });
    expect(await codeOf(t.service.completeReview(t.as('maria'), review.id, { outcome: 'appropriate' }))).toBe('CONFLICT');
  });

  it('flags the third break-glass by the same person within the window', async () => {
    const t = build();
    const user = `bg-${newId()}`;
    t.directory.add({ id: user, managerId: 'maria' }, ['access.request', 'access.breakglass']);
    const input = { target: 'pacs', reasonCode: 'BTG', justification: 'approvers unreachable during outage' };
    const flags = [];
    for (let i = 0; i < 3; i++) {
      flags.push((await t.service.breakglass(t.as(user), input)).flagged);
      t.clock.advance(2 * 3600_000);
    }
    expect(flags).toEqual([false, false, true]);
    expect(t.audit.find('access.breakglass.flagged')).toHaveLength(1);
    await t.service.flush();
    expect(t.notifier.sent.filter((n) => n.kind === 'breakglass.flagged')).toHaveLength(1);
  });

  it('reports time to grant, time to revoke after expiry, break-glass count and standing admins', async () => {
    const t = build({ standingAdminCount: async () => 3 });
    const request = await t.service.request(t.as('alice'), { ...base, target: 'lab-app', durationSeconds: 600 });
    t.clock.advance(120_000);
    await t.service.approve(t.as('bob'), request.id);
    t.clock.advance(600_000);
    await t.service.tick();
    const metrics = await t.service.metrics();
    expect(metrics.standingAdminCount).toBe(3);
    expect(metrics.medianSecondsRequestToGrant).not.toBeNull();
    expect(metrics.meanSecondsToRevokeAfterExpiry).not.toBeNull();
    expect(metrics.meanSecondsToRevokeAfterExpiry!).toBeGreaterThanOrEqual(0);
    expect(metrics.breakglassCount).toBeGreaterThanOrEqual(0);
    expect(metrics.jitShare).toBeGreaterThan(0);
    expect(metrics.jitShare).toBeLessThan(1);
  });

  it('takes every grant and pending request away from a user who is disabled', async () => {
    const t = build();
    const user = `leaver-${newId()}`;
    t.directory.add({ id: user, managerId: 'maria' }, ['access.request']);
    await t.service.start();
    const granted = await t.service.request(t.as(user), { ...base, target: 'wiki-01', durationSeconds: 3600 });
    const waiting = await t.service.request(t.as(user), { ...base, target: 'lab-app', durationSeconds: 3600 });
    t.events.publish('identity.user.disabled', { userId: user, reason: 'leaver' });
    await t.service.flush();
    expect(t.ended.find((e) => e.grantId === granted.grantId)?.reason).toBe('revoked');
    expect((await t.service.getRequest(t.as(user), waiting.id)).status).toBe('cancelled');
    expect(await t.service.activeGrantFor(user, 'wiki-01')).toBeNull();
    await t.service.stop();
  });

  it('ends a grant once when revocation and expiry race', async () => {
    const t = build();
    const host = t.inventory.add({ id: `host-${newId()}` }).id;
    for (let round = 0; round < 4; round++) {
      const request = await t.service.request(t.as('alice'), { ...base, target: host, durationSeconds: 60 });
      t.clock.advance(60_000);
      const [revoked] = await Promise.all([codeOf(t.service.revokeGrant(t.as('sam'), request.grantId!)), t.service.tick()]);
      const endings = t.ended.filter((e) => e.grantId === request.grantId);
      expect(endings).toHaveLength(1);
      expect(revoked === 'ok' ? 'revoked' : 'expired').toBe(endings[0]!.reason);
      expect(['ok', 'CONFLICT']).toContain(revoked);
    }
  });
});

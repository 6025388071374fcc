// Just-in-time access: requests, approvals with separation of duties, grants that end on time, break-glass
// with its post-event review, and the metrics that show how much standing privilege is left.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/database/index.js';
import { withTransaction, isUniqueViolation } from '../platform/database/index.js';
import type { Clock } from '../platform/clock.js';
import type { EventBus } from '../platform/events.js';
import { WardError, isWardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Permission } from '../platform/permissions.js';
import { purposeOfUseCodes, type AuditActor, type AuditLog, type AuditTarget, type PurposeOfUse } from '../audit/types.js';
import { createDeadlineScheduler } from './scheduler.js';
import { createAccessStore, toGrantView, toRequestView, toReviewView, type GrantRow, type RequestRow } from './store.js';
import { createStoredOnCallSchedule, type OnCallShiftInput } from './oncall.js';
import type {
  AccessAccount,
  AccessActor,
  AccessDirectory,
  AccessInventory,
  AccessMetrics,
  AccessNotification,
  AccessPolicy,
  AccessRequestView,
  AccessTarget,
  AccessUser,
  GrantEndReason,
  GrantView,
  NotificationKind,
  NotificationRecipient,
  Notifier,
  OnCallSchedule,
  ReviewView,
  TicketConnector,
} from './types.js';

export interface AccessSettings {
  /** A grant with no session activity for this long is revoked (default 30 minutes). */
  idleSeconds: number;
  /** Break-glass grants are capped at this (default 60 minutes). */
  breakglassMaxSeconds: number;
  /** The strong factor for break-glass must be younger than this (default 5 minutes). */
  breakglassFactorMaxAgeSeconds: number;
  /** The manager's post-event review is due this long after break-glass (default 24 hours). */
  reviewDueSeconds: number;
  /** The N-th break-glass by one person inside the window is flagged (default 3 in 30 days). */
  repeatedBreakglassCount: number;
  repeatedBreakglassWindowSeconds: number;
  /** Shortest grant and how far ahead a window may start. */
  minDurationSeconds: number;
  maxLeadSeconds: number;
  /** Clock skew tolerated for "starts now" windows. */
  pastToleranceSeconds: number;
  /** Safety sweep for deadlines set by other nodes (production timer only). */
  sweepIntervalSeconds: number;
}

export const defaultAccessSettings: AccessSettings = {
  idleSeconds: 30 * 60,
  breakglassMaxSeconds: 60 * 60,
  breakglassFactorMaxAgeSeconds: 5 * 60,
  reviewDueSeconds: 24 * 3600,
  repeatedBreakglassCount: 3,
  repeatedBreakglassWindowSeconds: 30 * 24 * 3600,
  minDurationSeconds: 60,
  maxLeadSeconds: 30 * 24 * 3600,
  pastToleranceSeconds: 60,
  sweepIntervalSeconds: 15,
};

export interface AccessServiceDeps {
  db: Kysely<Database>;
  directory: AccessDirectory;
  inventory: AccessInventory;
  policy: AccessPolicy;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  notifier: Notifier;
  /** Base of links in notifications, e.g. https://ward.example.org */
  publicUrl: string;
  /** Defaults to the schedule stored in the database (imported through the API or CLI). */
  onCall?: OnCallSchedule;
  /** When set, tickets are checked to exist and be open. */
  tickets?: TicketConnector;
  /** Counts standing (non-JIT) admin role assignments, from identity. */
  standingAdminCount?: () => Promise<number>;
  /** Privileged sessions in the metrics period by kind of access, from the gateway. */
  sessionCounts?: () => Promise<{ jit: number; standing: number }>;
  settings?: Partial<AccessSettings>;
  /** 'timer' (production) arms real timers on start(); 'manual' (tests) only runs on tick(). */
  scheduler?: 'timer' | 'manual';
  onError?: (error: unknown, context: string) => void;
}

export interface RequestInput {
  target: string;
  account?: string | undefined;
  /** Epoch ms; default now. */
  startsAt?: number | undefined;
  durationSeconds: number;
  reasonCode: string;
  justification: string;
  ticket?: string | undefined;
}

export interface BreakglassInput {
  target: string;
  account?: string | undefined;
  reasonCode: string;
  justification: string;
  durationSeconds?: number | undefined;
}

export interface BreakglassResult {
  request: AccessRequestView;
  grant: GrantView;
  review: ReviewView;
  flagged: boolean;
}

const RETRIES = 4;
class VersionConflict extends Error {}

/** A new request row: who asks for what and why; the caller sets the window and how it was decided. */
function requestRow(
  base: {
    user: { id: string; username: string };
    target: { id: string; name: string; zoneId: string; riskTier: string; ownerId: string | null };
    account: { id: string; name: string } | null | undefined;
    reasonCode: string;
    justification: string;
    policyIds: string[];
    now: number;
  },
  decided: Pick<RequestRow, 'starts_at' | 'duration_seconds' | 'status' | 'decided_at'> & Partial<RequestRow>,
): RequestRow {
  return {
    id: newId(),
    requester_id: base.user.id,
    requester_name: base.user.username,
    target_id: base.target.id,
    target_name: base.target.name,
    zone_id: base.target.zoneId,
    risk_tier: base.target.riskTier,
    owner_id: base.target.ownerId,
    account_id: base.account?.id ?? null,
    account_name: base.account?.name ?? null,
    reason_code: base.reasonCode,
    justification: base.justification,
    ticket: null,
    required_approvals: 0,
    require_owner_or_manager: 0,
    auto_approved: 0,
    on_call: 0,
    breakglass: 0,
    policy_ids: JSON.stringify(base.policyIds),
    grant_id: null,
    version: 0,
    created_at: base.now,
    decided_by: null,
    ...decided,
  };
}

export function createAccessService(deps: AccessServiceDeps) {
  const settings: AccessSettings = { ...defaultAccessSettings, ...deps.settings };
  const { clock, audit, directory, inventory, policy, events } = deps;
  const store = createAccessStore(deps.db);
  const storedOnCall = createStoredOnCallSchedule(deps.db);
  const onCall = deps.onCall ?? storedOnCall;
  const publicUrl = deps.publicUrl.replace(/\/$/, '');
  const pending = new Set<Promise<unknown>>();
  const report = deps.onError ?? (() => {});
  let sweepTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void)[] = [];

  const scheduler = createDeadlineScheduler({ clock, run: runDeadline, onError: (error, key) => report(error, `deadline ${key}`) });

  // ---------- helpers ----------

  function auditActor(actor: AccessActor): AuditActor {
    return { id: actor.userId, kind: actor.kind === 'human' ? 'user' : actor.kind, name: actor.username };
  }
  const system: AuditActor = { kind: 'system', name: 'ward.access' };

  function targetRef(row: { target_id: string; target_name: string; account_name: string | null }): AuditTarget {
    return { type: 'target', id: row.target_id, name: row.target_name, ...(row.account_name ? { account: row.account_name } : {}) };
  }

  /** Runs a workflow step; a refusal is audited with its code before it reaches the caller. */
  async function audited<T>(action: string, actor: AuditActor, target: AuditTarget | undefined, extra: Record<string, string | number | boolean | null>, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!isWardError(error) || error.code === 'AUDIT_UNAVAILABLE') throw error;
      const denied = ['POLICY_DENIED', 'SEPARATION_OF_DUTIES', 'PERMISSION_DENIED', 'AUTH_STEP_UP_REQUIRED'].includes(error.code);
      await audit.append({
        action,
        outcome: denied ? 'denied' : 'failure',
        actor,
        target,
        details: { ...extra, errorCode: error.code, error: error.message.slice(0, 300) },
      });
      throw error;
    }
  }

  function background(promise: Promise<unknown>, context: string) {
    const tracked = promise.catch((error: unknown) => report(error, context));
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  }

  function notify(kind: NotificationKind, subject: string, text: string, link: string | null, recipients: NotificationRecipient[], context: AccessNotification['context']) {
    if (recipients.length === 0) return;
    const notification: AccessNotification = { id: newId(), kind, subject, text, link, recipients, context, at: clock.now() };
    background(deps.notifier.send(notification), `notification ${kind}`);
  }

  const recipient = (user: AccessUser, role: NotificationRecipient['role']): NotificationRecipient => ({
    userId: user.id,
    username: user.username,
    email: user.email,
    role,
  });
  const security: NotificationRecipient = { userId: null, username: null, email: null, role: 'security' };

  function requestContext(row: RequestRow): AccessNotification['context'] {
    return {
      requestId: row.id,
      requester: row.requester_name,
      target: row.target_name,
      account: row.account_name,
      zone: row.zone_id,
      riskTier: row.risk_tier,
      reasonCode: row.reason_code,
      justification: row.justification,
      ticket: row.ticket,
      startsAt: new Date(row.starts_at).toISOString(),
      durationMinutes: Math.round(row.duration_seconds / 60),
      approvalsRequired: row.required_approvals,
    };
  }

  async function loadUser(id: string): Promise<AccessUser> {
    const user = await directory.getUser(id);
    if (!user || user.status !== 'active') throw new WardError('AUTH_ACCOUNT_DISABLED', 'Your account is not active.');
    return user;
  }

  async function resolveTarget(name: string): Promise<AccessTarget> {
    const target = name.trim() ? await inventory.getTarget(name.trim()) : null;
    if (!target) throw new WardError('REQUEST_INVALID', `There is no target "${name}". Check the name with \`ward targets\`.`, { field: 'target' });
    return target;
  }

  async function resolveAccount(target: AccessTarget, name: string | undefined): Promise<AccessAccount | null> {
    if (!name) return null;
    const account = await inventory.getAccount(target.id, name);
    if (!account) throw new WardError('REQUEST_INVALID', `Target ${target.name} has no account "${name}".`, { field: 'account' });
    return account;
  }

  function checkJustification(text: string): string {
    const trimmed = text.trim();
    if (trimmed.length < 10) {
      throw new WardError('REQUEST_INVALID', 'Say why you need access: a justification of at least 10 characters.', { field: 'justification' });
    }
    if (trimmed.length > 2000) throw new WardError('REQUEST_INVALID', 'The justification is longer than 2000 characters.', { field: 'justification' });
    return trimmed;
  }

  function checkReason(code: string, allowed: readonly string[]): PurposeOfUse {
    if (!allowed.includes(code)) {
      throw new WardError('REQUEST_INVALID', `Reason code "${code}" is not accepted here; use one of ${allowed.join(', ')} (HL7 PurposeOfUse).`, { field: 'reasonCode' });
    }
    return code as PurposeOfUse;
  }

  function formatDuration(seconds: number): string {
    if (seconds % 3600 === 0) return `${seconds / 3600} h`;
    if (seconds % 60 === 0) return `${seconds / 60} min`;
    return `${seconds} s`;
  }

  function grantRowFor(request: RequestRow, now: number, grantId: string): GrantRow {
    const startsAt = request.starts_at;
    return {
      id: grantId,
      request_id: request.id,
      user_id: request.requester_id,
      username: request.requester_name,
      target_id: request.target_id,
      target_name: request.target_name,
      zone_id: request.zone_id,
      account_id: request.account_id,
      account_name: request.account_name,
      starts_at: startsAt,
      ends_at: startsAt + request.duration_seconds * 1000,
      idle_seconds: settings.idleSeconds,
      idle_deadline_at: Math.max(startsAt, now) + settings.idleSeconds * 1000,
      breakglass: request.breakglass,
      status: 'active',
      ended_at: null,
      end_reason: null,
      ended_by: null,
      started_published: 0,
      created_at: now,
    };
  }

  async function requestView(id: string): Promise<AccessRequestView> {
    const row = await store.getRequest(id);
    if (!row) throw new WardError('NOT_FOUND', `No access request ${id}.`);
    return toRequestView(row, await store.approvalsFor(id));
  }

  /** After a grant is committed: publish its start if its window is open, and arm its deadlines. */
  async function activateGrant(grant: GrantRow) {
    await runGrantDeadline(grant.id);
  }

  function nextGrantDeadline(grant: GrantRow): number {
    const candidates = [grant.ends_at, grant.idle_deadline_at];
    if (grant.started_published === 0) candidates.push(grant.starts_at);
    return Math.min(...candidates);
  }

  // ---------- deadlines ----------

  async function runDeadline(key: string) {
    const [kind, id] = key.split(':') as [string, string];
    if (kind === 'grant') await runGrantDeadline(id);
    else if (kind === 'request') await expireRequestIfPast(id);
    else if (kind === 'review') await escalateReviewIfDue(id);
  }

  async function runGrantDeadline(id: string) {
    const grant = await store.getGrant(id);
    if (!grant || grant.status !== 'active') return;
    const now = clock.now();
    if (now >= grant.ends_at) {
      await endGrant(grant, 'expired', null, null);
      return;
    }
    if (now >= grant.idle_deadline_at) {
      await endGrant(grant, 'inactive', null, null);
      return;
    }
    if (now >= grant.starts_at && grant.started_published === 0 && (await store.markStartedPublished(grant.id))) {
      grant.started_published = 1;
      events.publish('access.grant.started', {
        grantId: grant.id,
        userId: grant.user_id,
        targetId: grant.target_id,
        accountId: grant.account_id,
        endsAt: grant.ends_at,
        breakglass: grant.breakglass === 1,
      });
    }
    scheduler.schedule(`grant:${grant.id}`, nextGrantDeadline(grant));
  }

  async function endGrant(grant: GrantRow, reason: GrantEndReason, by: AccessActor | null, note: string | null): Promise<boolean> {
    const now = clock.now();
    if (!(await store.endGrant(grant.id, { at: now, reason, by: by?.userId ?? null }))) return false;
    scheduler.cancel(`grant:${grant.id}`);
    events.publish('access.grant.ended', { grantId: grant.id, userId: grant.user_id, reason });
    const actor = by ? auditActor(by) : system;
    const target = targetRef(grant);
    const lateMs = reason === 'expired' ? now - grant.ends_at : reason === 'inactive' ? now - grant.idle_deadline_at : null;
    await audit.append({
      action: `access.grant.${reason}`,
      outcome: 'success',
      actor,
      target,
      details: { grantId: grant.id, userId: grant.user_id, username: grant.username, reason, note, lateMs },
    });
    if (grant.breakglass === 1) {
      await audit.append({
        action: 'access.breakglass.stopped',
        outcome: 'success',
        actor,
        target,
        details: { grantId: grant.id, userId: grant.user_id, username: grant.username, reason },
      });
    }
    return true;
  }

  async function expireRequestIfPast(id: string) {
    const row = await store.getRequest(id);
    if (!row || row.status !== 'pending') return;
    const windowEnd = row.starts_at + row.duration_seconds * 1000;
    const now = clock.now();
    if (now < windowEnd) {
      scheduler.schedule(`request:${id}`, windowEnd);
      return;
    }
    if (await store.decide(deps.db, id, { status: 'expired', decidedAt: now, decidedBy: null })) {
      await audit.append({ action: 'access.request.expired', outcome: 'success', actor: system, target: targetRef(row), details: { requestId: id, requesterId: row.requester_id } });
    }
  }

  async function escalateReviewIfDue(id: string) {
    const review = await store.getReview(id);
    if (!review || review.status !== 'open') return;
    const now = clock.now();
    if (now < review.due_at) {
      scheduler.schedule(`review:${id}`, review.due_at);
      return;
    }
    if (!(await store.escalateReview(id, now))) return;
    await audit.append({
      action: 'access.review.overdue',
      outcome: 'success',
      actor: system,
      target: { type: 'user', id: review.user_id, name: review.username },
      details: { reviewId: id, grantId: review.grant_id, reviewerId: review.reviewer_id, dueAt: review.due_at },
    });
    notify(
      'review.overdue',
      `Overdue break-glass review: ${review.username} on ${review.target_name}`,
      `The post-event review of ${review.username}'s break-glass access to ${review.target_name} was due ${new Date(review.due_at).toISOString()} and is now escalated to security.`,
      `${publicUrl}/#/reviews/${id}`,
      [security],
      { reviewId: id, user: review.username, target: review.target_name, dueAt: new Date(review.due_at).toISOString() },
    );
  }

  /** Catches what timers cannot: deadlines set by other nodes or before a restart. */
  async function sweep() {
    const now = clock.now();
    for (const { id } of await store.dueGrants(now)) await runGrantDeadline(id).catch((e: unknown) => report(e, `grant ${id}`));
    for (const row of await store.pendingPastWindow(now)) {
      if (row.starts_at + row.duration_seconds * 1000 <= now) await expireRequestIfPast(row.id).catch((e: unknown) => report(e, `request ${row.id}`));
    }
    for (const review of await store.overdueReviews(now)) await escalateReviewIfDue(review.id).catch((e: unknown) => report(e, `review ${review.id}`));
  }

  // ---------- approvals ----------

  function relationTo(row: RequestRow, requester: AccessUser | null, approverId: string): 'manager' | 'owner' | 'peer' {
    if (requester?.managerId === approverId) return 'manager';
    if (row.owner_id === approverId) return 'owner';
    return 'peer';
  }

  async function stillEligible(userId: string): Promise<boolean> {
    const user = await directory.getUser(userId);
    return user !== null && user.status === 'active' && (await directory.hasPermission(userId, 'access.approve'));
  }

  async function checkApprover(actor: AccessActor, row: RequestRow, action: 'approve' | 'deny') {
    if (row.status !== 'pending') {
      throw new WardError('REQUEST_NOT_PENDING', `This request is already ${row.status}; nothing to ${action}.`, { status: row.status });
    }
    const windowEnd = row.starts_at + row.duration_seconds * 1000;
    if (clock.now() >= windowEnd) {
      await expireRequestIfPast(row.id);
      throw new WardError('REQUEST_NOT_PENDING', "This request's window has already passed; it expired without a decision.", { status: 'expired' });
    }
    if (actor.userId === row.requester_id) {
      throw new WardError('SEPARATION_OF_DUTIES', 'Nobody approves or denies their own request; ask a colleague.');
    }
    if (!(await stillEligible(actor.userId))) {
      throw new WardError('PERMISSION_DENIED', 'You are no longer an approver (your role or account changed).', { permission: 'access.approve' });
    }
    const approver = await loadUser(actor.userId);
    const target = await inventory.getTarget(row.target_id);
    if (!target) throw new WardError('REQUEST_INVALID', `Target ${row.target_name} no longer exists.`);
    const decision = await policy.decide('approve', {
      principal: { id: approver.id, username: approver.username, kind: approver.kind, permissions: [...actor.permissions], managerId: approver.managerId },
      target,
      account: null,
      context: { now: clock.now(), onCall: false, requesterId: row.requester_id, reasonCode: row.reason_code as PurposeOfUse, ticket: row.ticket, mfaVerifiedAt: actor.mfaVerifiedAt },
    });
    if (decision.decision !== 'allow') {
      throw new WardError('POLICY_DENIED', `Policy does not let you ${action} this request: ${decision.reasons.join('; ')}`, { policyIds: decision.policyIds });
    }
    return { approver, policyIds: decision.policyIds };
  }

  async function approveOnce(actor: AccessActor, requestId: string, note: string | null) {
    const row = await store.getRequest(requestId);
    if (!row) throw new WardError('NOT_FOUND', `No access request ${requestId}.`);
    const { approver, policyIds } = await checkApprover(actor, row, 'approve');
    const approvals = await store.approvalsFor(requestId);
    if (approvals.some((a) => a.approver_id === actor.userId)) {
      throw new WardError('CONFLICT', 'You already decided this request; a second approval must come from someone else.');
    }
    // Earlier approvals count only while their approvers are still eligible.
    const invalidated: string[] = [];
    const valid = [];
    for (const a of approvals.filter((x) => x.valid === 1 && x.decision === 'approve')) {
      if (await stillEligible(a.approver_id)) valid.push(a);
      else invalidated.push(a.id);
    }
    const requester = await directory.getUser(row.requester_id);
    const relation = relationTo(row, requester, actor.userId);
    const count = valid.length + 1;
    const complete = count >= row.required_approvals;
    const hasOwnerOrManager = relation !== 'peer' || valid.some((a) => a.relation !== 'peer');
    if (complete && row.require_owner_or_manager === 1 && !hasOwnerOrManager) {
      throw new WardError(
        'SEPARATION_OF_DUTIES',
        `This ${row.risk_tier}-risk request needs one approval from ${row.requester_name}'s manager or the owner of ${row.target_name}; yours would be the last and neither approval is theirs.`,
      );
    }
    const now = clock.now();
    const grantId = complete ? newId() : null;
    let grant: GrantRow | null = null;
    await withTransaction(deps.db, async (trx) => {
      for (const id of invalidated) await store.invalidateApproval(trx, id);
      try {
        await store.insertApproval(
          { id: newId(), request_id: requestId, approver_id: actor.userId, approver_name: approver.username, decision: 'approve', relation, note, valid: 1, created_at: now },
          trx,
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('CONFLICT', 'You already decided this request.');
        throw error;
      }
      const moved = complete
        ? await store.decide(trx, requestId, { status: 'approved', decidedAt: now, decidedBy: actor.userId, grantId }, row.version)
        : await store.bumpVersion(trx, requestId, row.version);
      if (!moved) {
        const current = await store.getRequest(requestId, trx);
        if (current?.status === 'pending') throw new VersionConflict();
        throw new WardError('REQUEST_NOT_PENDING', `This request was ${current?.status ?? 'removed'} while you were deciding.`, { status: current?.status ?? null });
      }
      if (complete && grantId) {
        grant = grantRowFor(row, now, grantId);
        await store.insertGrant(grant, trx);
      }
    });
    for (const id of invalidated) {
      const stale = approvals.find((a) => a.id === id)!;
      await audit.append({
        action: 'access.approval.invalidated',
        outcome: 'success',
        actor: system,
        target: targetRef(row),
        details: { requestId, approverId: stale.approver_id, reason: 'approver no longer eligible' },
      });
    }
    await audit.append({
      action: 'access.request.approved',
      outcome: 'success',
      actor: auditActor(actor),
      target: targetRef(row),
      reasonCode: row.reason_code as PurposeOfUse,
      ticket: row.ticket ?? undefined,
      policyIds,
      details: { requestId, relation, approvals: count, required: row.required_approvals, final: complete, grantId },
    });
    if (grant) await grantCreated(grant, row, actor);
    else if (invalidated.length > 0) await notifyApprovers(row, 'approval.needed');
    return requestView(requestId);
  }

  async function grantCreated(grant: GrantRow, row: RequestRow, by: AccessActor | null) {
    await audit.append({
      action: 'access.grant.created',
      outcome: 'success',
      actor: by ? auditActor(by) : system,
      target: targetRef(grant),
      reasonCode: row.reason_code as PurposeOfUse,
      ticket: row.ticket ?? undefined,
      details: { grantId: grant.id, requestId: row.id, userId: grant.user_id, startsAt: grant.starts_at, endsAt: grant.ends_at, breakglass: grant.breakglass === 1 },
    });
    await activateGrant(grant);
    if (row.breakglass === 0) {
      const requester = await directory.getUser(row.requester_id);
      if (requester) {
        notify('request.decided', `Access to ${row.target_name} approved`, `Your access to ${row.target_name} is approved from ${new Date(grant.starts_at).toISOString()} to ${new Date(grant.ends_at).toISOString()}.`, `${publicUrl}/#/grants/${grant.id}`, [recipient(requester, 'requester')], requestContext(row));
      }
    }
  }

  async function approversFor(row: RequestRow): Promise<NotificationRecipient[]> {
    const approvers = await directory.usersWithPermission('access.approve');
    const requester = await directory.getUser(row.requester_id);
    return approvers
      .filter((u) => u.id !== row.requester_id && u.status === 'active')
      .map((u) => {
        const relation = relationTo(row, requester, u.id);
        return recipient(u, relation === 'peer' ? 'approver' : relation);
      });
  }

  async function notifyApprovers(row: RequestRow, kind: 'approval.needed' | 'grant.escalation') {
    const recipients = await approversFor(row);
    if (kind === 'approval.needed') {
      notify(
        kind,
        `Approve access: ${row.requester_name} → ${row.target_name}`,
        `${row.requester_name} asks for ${formatDuration(row.duration_seconds)} on ${row.target_name} (${row.risk_tier} risk) for ${row.reason_code}: ${row.justification}`,
        `${publicUrl}/#/approvals/${row.id}`,
        recipients,
        requestContext(row),
      );
    } else {
      notify(
        kind,
        `Auto-approved on-call access: ${row.requester_name} → ${row.target_name}`,
        `${row.requester_name} is on call and was granted ${formatDuration(row.duration_seconds)} on clinical-critical ${row.target_name} without approval. Revoke it if this is wrong.`,
        `${publicUrl}/#/approvals/${row.id}`,
        [...recipients, security],
        requestContext(row),
      );
    }
  }

  async function withRetries<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (error instanceof VersionConflict && attempt < RETRIES) continue;
        if (error instanceof VersionConflict) throw new WardError('CONFLICT', 'The request changed while you were deciding; try again.');
        throw error;
      }
    }
  }

  async function requestTarget(id: string): Promise<AuditTarget> {
    const row = await store.getRequest(id);
    return row ? targetRef(row) : { type: 'request', id };
  }

  // ---------- the service ----------

  const service = {
    settings,
    scheduler,

    async request(actor: AccessActor, input: RequestInput): Promise<AccessRequestView> {
      const target: AuditTarget = { type: 'target', name: input.target, ...(input.account ? { account: input.account } : {}) };
      return audited('access.request.created', auditActor(actor), target, { reasonCode: input.reasonCode ?? null, ticket: input.ticket ?? null }, async () => {
        const reasonCode = checkReason(input.reasonCode, purposeOfUseCodes.filter((c) => c !== 'BTG'));
        const justification = checkJustification(input.justification);
        const user = await loadUser(actor.userId);
        const resolved = await resolveTarget(input.target);
        const account = await resolveAccount(resolved, input.account);
        const now = clock.now();
        const startsAt = input.startsAt ?? now;
        if (!Number.isFinite(startsAt) || startsAt < now - settings.pastToleranceSeconds * 1000) {
          throw new WardError('REQUEST_INVALID', `The window starts in the past (${new Date(startsAt).toISOString()}); start now or later.`, { field: 'startsAt' });
        }
        if (startsAt > now + settings.maxLeadSeconds * 1000) {
          throw new WardError('REQUEST_INVALID', `The window may start at most ${formatDuration(settings.maxLeadSeconds)} ahead.`, { field: 'startsAt' });
        }
        const duration = input.durationSeconds;
        if (!Number.isInteger(duration) || duration < settings.minDurationSeconds) {
          throw new WardError('REQUEST_INVALID', `The duration must be a whole number of seconds, at least ${settings.minDurationSeconds}.`, { field: 'durationSeconds' });
        }
        // On call now, and still on call when a future window opens.
        const isOnCall = (await onCall.isOnCall(user.id, resolved.zoneId, now)) && (startsAt <= now || (await onCall.isOnCall(user.id, resolved.zoneId, startsAt)));
        const decision = await policy.decide('request', {
          principal: { id: user.id, username: user.username, kind: user.kind, permissions: [...actor.permissions], managerId: user.managerId },
          target: resolved,
          account,
          context: { now, reasonCode, ticket: input.ticket ?? null, durationSeconds: duration, onCall: isOnCall, mfaVerifiedAt: actor.mfaVerifiedAt },
        });
        if (decision.decision !== 'allow') {
          throw new WardError('POLICY_DENIED', `Policy denies access to ${resolved.name}: ${decision.reasons.join('; ')}`, { policyIds: decision.policyIds });
        }
        const obligations = decision.obligations ?? {};
        const max = obligations.maxDurationSeconds;
        if (max !== undefined && duration > max) {
          throw new WardError('REQUEST_INVALID', `${resolved.name} is ${resolved.riskTier} risk: ask for at most ${formatDuration(max)} (you asked for ${formatDuration(duration)}).`, { field: 'durationSeconds', maxDurationSeconds: max });
        }
        const ticket = input.ticket?.trim() || null;
        if (obligations.requireTicket && !ticket) {
          throw new WardError('REQUEST_INVALID', `${resolved.name} is ${resolved.riskTier} risk: give the change or incident ticket (--ticket).`, { field: 'ticket' });
        }
        if (ticket && deps.tickets) {
          const status = await deps.tickets.check(ticket);
          if (!status.exists) throw new WardError('REQUEST_INVALID', `Ticket ${ticket} does not exist.`, { field: 'ticket' });
          if (!status.open) throw new WardError('REQUEST_INVALID', `Ticket ${ticket} is closed; use an open ticket.`, { field: 'ticket' });
        }
        const approvals = obligations.approvals ?? 1;
        const autoApproved = approvals === 0;
        const row = requestRow({ user, target: resolved, account, reasonCode, justification, policyIds: decision.policyIds, now }, {
          ticket,
          starts_at: startsAt,
          duration_seconds: duration,
          status: autoApproved ? 'approved' : 'pending',
          required_approvals: approvals,
          require_owner_or_manager: obligations.requireOwnerOrManager ? 1 : 0,
          auto_approved: autoApproved ? 1 : 0,
          on_call: isOnCall ? 1 : 0,
          decided_at: autoApproved ? now : null,
        });
        const grant = autoApproved ? grantRowFor(row, now, newId()) : null;
        if (grant) row.grant_id = grant.id;
        await withTransaction(deps.db, async (trx) => {
          await store.insertRequest(row, trx);
          if (grant) await store.insertGrant(grant, trx);
        });
        await audit.append({
          action: 'access.request.created',
          outcome: 'success',
          actor: auditActor(actor),
          target: targetRef(row),
          reasonCode,
          ticket: ticket ?? undefined,
          justification,
          policyIds: decision.policyIds,
          details: { requestId: row.id, riskTier: resolved.riskTier, startsAt, durationSeconds: duration, approvalsRequired: approvals, onCall: isOnCall, autoApproved },
        });
        if (grant) {
          await grantCreated(grant, row, null);
          if (obligations.escalate) await notifyApprovers(row, 'grant.escalation');
        } else {
          scheduler.schedule(`request:${row.id}`, startsAt + duration * 1000);
          await notifyApprovers(row, 'approval.needed');
        }
        return requestView(row.id);
      });
    },

    async approve(actor: AccessActor, requestId: string, note?: string | null): Promise<AccessRequestView> {
      return audited('access.request.approved', auditActor(actor), await requestTarget(requestId), { requestId }, () =>
        withRetries(() => approveOnce(actor, requestId, note?.trim() || null)),
      );
    },

    async deny(actor: AccessActor, requestId: string, note?: string | null): Promise<AccessRequestView> {
      return audited('access.request.denied', auditActor(actor), await requestTarget(requestId), { requestId }, async () => {
        const row = await store.getRequest(requestId);
        if (!row) throw new WardError('NOT_FOUND', `No access request ${requestId}.`);
        const { approver, policyIds } = await checkApprover(actor, row, 'deny');
        const now = clock.now();
        const requester = await directory.getUser(row.requester_id);
        await withTransaction(deps.db, async (trx) => {
          try {
            await store.insertApproval(
              { id: newId(), request_id: requestId, approver_id: actor.userId, approver_name: approver.username, decision: 'deny', relation: relationTo(row, requester, actor.userId), note: note?.trim() || null, valid: 1, created_at: now },
              trx,
            );
          } catch (error) {
            if (isUniqueViolation(error)) throw new WardError('CONFLICT', 'You already decided this request.');
            throw error;
          }
          if (!(await store.decide(trx, requestId, { status: 'denied', decidedAt: now, decidedBy: actor.userId }))) {
            const current = await store.getRequest(requestId, trx);
            throw new WardError('REQUEST_NOT_PENDING', `This request was ${current?.status ?? 'removed'} while you were deciding.`, { status: current?.status ?? null });
          }
        });
        scheduler.cancel(`request:${requestId}`);
        await audit.append({ action: 'access.request.denied', outcome: 'success', actor: auditActor(actor), target: targetRef(row), policyIds, details: { requestId, note: note?.trim() || null } });
        if (requester) {
          notify('request.decided', `Access to ${row.target_name} denied`, `${approver.username} denied your request for ${row.target_name}${note ? `: ${note}` : '.'}`, `${publicUrl}/#/requests/${row.id}`, [recipient(requester, 'requester')], requestContext(row));
        }
        return requestView(requestId);
      });
    },

    async cancel(actor: AccessActor, requestId: string): Promise<AccessRequestView> {
      return audited('access.request.cancelled', auditActor(actor), await requestTarget(requestId), { requestId }, async () => {
        const row = await store.getRequest(requestId);
        if (!row || row.requester_id !== actor.userId) throw new WardError('NOT_FOUND', `You have no access request ${requestId}.`);
        if (!(await store.decide(deps.db, requestId, { status: 'cancelled', decidedAt: clock.now(), decidedBy: actor.userId }))) {
          const current = await store.getRequest(requestId);
          throw new WardError('REQUEST_NOT_PENDING', `This request is already ${current?.status}; release the grant instead if it is approved.`, { status: current?.status ?? null });
        }
        scheduler.cancel(`request:${requestId}`);
        await audit.append({ action: 'access.request.cancelled', outcome: 'success', actor: auditActor(actor), target: targetRef(row), details: { requestId } });
        return requestView(requestId);
      });
    },

    async getRequest(actor: AccessActor, requestId: string): Promise<AccessRequestView> {
      const view = await requestView(requestId).catch(() => null);
      if (!view || (view.requesterId !== actor.userId && !actor.permissions.has('access.approve') && !actor.permissions.has('access.revoke'))) {
        throw new WardError('NOT_FOUND', `No access request ${requestId}.`);
      }
      return view;
    },

    async listRequests(actor: AccessActor, options: { scope: 'mine' | 'approvable'; status?: string | undefined; limit?: number | undefined }): Promise<AccessRequestView[]> {
      let query = deps.db.selectFrom('access_requests').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 50);
      if (options.scope === 'mine') query = query.where('requester_id', '=', actor.userId);
      else query = query.where('requester_id', '<>', actor.userId).where('status', '=', 'pending');
      if (options.status) query = query.where('status', '=', options.status);
      const rows = await query.execute();
      const approvals = await store.approvalsForMany(rows.map((r) => r.id));
      let views = rows.map((r) => toRequestView(r, approvals.get(r.id) ?? []));
      if (options.scope === 'approvable') views = views.filter((v) => !v.approvals.some((a) => a.approverId === actor.userId));
      return views;
    },

    async listGrants(actor: AccessActor, options: { scope: 'mine' | 'all'; state?: 'open' | 'all' | undefined; limit?: number | undefined }): Promise<GrantView[]> {
      if (options.scope === 'all' && !actor.permissions.has('access.revoke')) {
        throw new WardError('PERMISSION_DENIED', 'Listing everyone’s grants needs "access.revoke".', { permission: 'access.revoke' });
      }
      let query = deps.db.selectFrom('access_grants').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 100);
      if (options.scope === 'mine') query = query.where('user_id', '=', actor.userId);
      if ((options.state ?? 'open') === 'open') query = query.where('status', '=', 'active');
      const now = clock.now();
      return (await query.execute()).map((row) => toGrantView(row, now));
    },

    /**
     * Ends a grant early. The holder may release their own; security (access.revoke) any; an approver one they
     * approved or that sits on a target they own or a request of someone they manage.
     */
    async revokeGrant(actor: AccessActor, grantId: string, note?: string | null): Promise<GrantView> {
      const grant = await store.getGrant(grantId);
      const target: AuditTarget = grant ? targetRef(grant) : { type: 'grant', id: grantId };
      return audited('access.grant.revoked', auditActor(actor), target, { grantId }, async () => {
        if (!grant) throw new WardError('NOT_FOUND', `No grant ${grantId}.`);
        let allowed = grant.user_id === actor.userId || actor.permissions.has('access.revoke');
        if (!allowed && actor.permissions.has('access.approve')) {
          const request = await store.getRequest(grant.request_id);
          const approvals = await store.approvalsFor(grant.request_id);
          const requester = await directory.getUser(grant.user_id);
          allowed = approvals.some((a) => a.approver_id === actor.userId) || request?.owner_id === actor.userId || requester?.managerId === actor.userId || (request?.auto_approved === 1 && request.breakglass === 0);
        }
        if (!allowed) throw new WardError('PERMISSION_DENIED', 'You may revoke only your own grants, grants you approved, or any grant with "access.revoke".', { permission: 'access.revoke' });
        if (grant.status !== 'active') throw new WardError('CONFLICT', `This grant already ended (${grant.end_reason}).`, { endReason: grant.end_reason });
        if (!(await endGrant(grant, 'revoked', actor, note?.trim() || null))) {
          throw new WardError('CONFLICT', 'This grant ended while you were revoking it.');
        }
        const holder = await directory.getUser(grant.user_id);
        if (holder && holder.id !== actor.userId) {
          notify('grant.ended', `Access to ${grant.target_name} revoked`, `${actor.username} revoked your access to ${grant.target_name}${note ? `: ${note}` : '.'}`, null, [recipient(holder, 'requester')], { grantId, target: grant.target_name });
        }
        return toGrantView((await store.getGrant(grantId))!, clock.now());
      });
    },

    /** The holder ends their own grant (or break-glass) early. */
    async releaseGrant(actor: AccessActor, grantId: string, note?: string | null): Promise<GrantView> {
      const grant = await store.getGrant(grantId);
      if (!grant || grant.user_id !== actor.userId) {
        await audit.append({ action: 'access.grant.revoked', outcome: 'failure', actor: auditActor(actor), target: { type: 'grant', id: grantId }, details: { grantId, errorCode: 'NOT_FOUND' } });
        throw new WardError('NOT_FOUND', `You have no grant ${grantId}.`);
      }
      return service.revokeGrant(actor, grantId, note ?? 'released by holder');
    },

    /**
     * A leaver or locked user loses every grant and pending request at once (also run on the identity events
     * `identity.user.disabled` / `identity.user.locked` once start() has subscribed).
     */
    async revokeAllForUser(userId: string, reason: string): Promise<{ grants: number; requests: number }> {
      const now = clock.now();
      const grants = await deps.db.selectFrom('access_grants').selectAll().where('user_id', '=', userId).where('status', '=', 'active').execute();
      let ended = 0;
      for (const grant of grants) if (await endGrant(grant, 'revoked', null, reason)) ended++;
      const pendingRows = await deps.db.selectFrom('access_requests').selectAll().where('requester_id', '=', userId).where('status', '=', 'pending').execute();
      let cancelled = 0;
      for (const row of pendingRows) {
        if (await store.decide(deps.db, row.id, { status: 'cancelled', decidedAt: now, decidedBy: null })) {
          cancelled++;
          scheduler.cancel(`request:${row.id}`);
          await audit.append({ action: 'access.request.cancelled', outcome: 'success', actor: system, target: targetRef(row), details: { requestId: row.id, reason } });
        }
      }
      return { grants: ended, requests: cancelled };
    },

    /** The gateway calls this while a session on the grant is live; the grant is revoked after idleSeconds without it. */
    async recordActivity(grantId: string): Promise<boolean> {
      const grant = await store.getGrant(grantId);
      if (!grant || grant.status !== 'active') return false;
      const now = clock.now();
      if (now < grant.starts_at || now >= grant.ends_at) return false;
      const deadline = now + grant.idle_seconds * 1000;
      if (await store.touchGrant(grantId, deadline)) {
        grant.idle_deadline_at = deadline;
        scheduler.schedule(`grant:${grantId}`, nextGrantDeadline(grant));
      }
      return true;
    },

    /** The gateway's question: may this user use this target (and account) right now, and until when? */
    async activeGrantFor(userId: string, targetId: string, accountId?: string | null): Promise<GrantView | null> {
      const now = clock.now();
      let query = deps.db
        .selectFrom('access_grants')
        .selectAll()
        .where('user_id', '=', userId)
        .where('target_id', '=', targetId)
        .where('status', '=', 'active')
        .where('starts_at', '<=', now)
        .where('ends_at', '>', now)
        .where('idle_deadline_at', '>', now)
        .orderBy('ends_at', 'desc');
      if (accountId) query = query.where((eb) => eb.or([eb('account_id', '=', accountId), eb('account_id', 'is', null)]));
      const row = await query.executeTakeFirst();
      return row ? toGrantView(row, now) : null;
    },

    /** Why a grant exists (its request's purpose of use, ticket, on-call): the gateway's policy context at connect. */
    async grantPurpose(grantId: string): Promise<{ reasonCode: string; ticket: string | null; onCall: boolean; breakglass: boolean } | null> {
      const grant = await store.getGrant(grantId);
      if (!grant) return null;
      const request = await store.getRequest(grant.request_id);
      if (!request) return null;
      return { reasonCode: request.reason_code, ticket: request.ticket, onCall: Number(request.on_call) === 1, breakglass: Number(grant.breakglass) === 1 };
    },

    async breakglass(actor: AccessActor, input: BreakglassInput): Promise<BreakglassResult> {
      const target: AuditTarget = { type: 'target', name: input.target, ...(input.account ? { account: input.account } : {}) };
      return audited('access.breakglass.started', auditActor(actor), target, { reasonCode: input.reasonCode ?? null }, async () => {
        const now = clock.now();
        if (actor.mfaVerifiedAt === null || now - actor.mfaVerifiedAt > settings.breakglassFactorMaxAgeSeconds * 1000) {
          throw new WardError('AUTH_STEP_UP_REQUIRED', 'Break-glass needs a fresh second factor: confirm with your passkey or TOTP code first.', { maxAgeSeconds: settings.breakglassFactorMaxAgeSeconds });
        }
        const reasonCode = checkReason(input.reasonCode, ['BTG', 'ETREAT']);
        const justification = checkJustification(input.justification ?? '');
        const user = await loadUser(actor.userId);
        const resolved = await resolveTarget(input.target);
        const account = await resolveAccount(resolved, input.account);
        const entitled = await directory.hasPermission(user.id, 'access.breakglass');
        const decision = await policy.decide('breakglass', {
          principal: { id: user.id, username: user.username, kind: user.kind, permissions: [...actor.permissions].filter((p) => p !== 'access.breakglass' || entitled) as Permission[], managerId: user.managerId },
          target: resolved,
          account,
          context: { now, reasonCode, onCall: await onCall.isOnCall(user.id, resolved.zoneId, now), emergency: true, mfaVerifiedAt: actor.mfaVerifiedAt },
        });
        if (!entitled || decision.decision !== 'allow') {
          throw new WardError('POLICY_DENIED', `You are not entitled to break the glass on ${resolved.name}: ${decision.decision === 'allow' ? 'access.breakglass was removed from your roles' : decision.reasons.join('; ')}`, { policyIds: decision.policyIds });
        }
        const cap = Math.min(settings.breakglassMaxSeconds, decision.obligations?.maxDurationSeconds ?? settings.breakglassMaxSeconds);
        const asked = input.durationSeconds ?? cap;
        if (!Number.isInteger(asked) || asked < settings.minDurationSeconds) {
          throw new WardError('REQUEST_INVALID', `The duration must be a whole number of seconds, at least ${settings.minDurationSeconds}.`, { field: 'durationSeconds' });
        }
        const duration = Math.min(asked, cap);
        const previous = await store.breakglassCountSince(user.id, now - settings.repeatedBreakglassWindowSeconds * 1000);
        const flagged = previous + 1 >= settings.repeatedBreakglassCount;
        const row = requestRow({ user, target: resolved, account, reasonCode, justification, policyIds: decision.policyIds, now }, {
          starts_at: now,
          duration_seconds: duration,
          status: 'approved',
          auto_approved: 1,
          breakglass: 1,
          decided_at: now,
        });
        const grant = grantRowFor(row, now, newId());
        row.grant_id = grant.id;
        const review = {
          id: newId(),
          grant_id: grant.id,
          request_id: row.id,
          user_id: user.id,
          username: user.username,
          target_name: resolved.name,
          reviewer_id: user.managerId,
          status: 'open',
          due_at: now + settings.reviewDueSeconds * 1000,
          escalated_at: null,
          outcome: null,
          note: null,
          completed_by: null,
          completed_at: null,
          flagged: flagged ? (1 as const) : (0 as const),
          created_at: now,
        };
        await withTransaction(deps.db, async (trx) => {
          await store.insertRequest(row, trx);
          await store.insertGrant(grant, trx);
          await store.insertReview(review, trx);
        });
        // The grant is usable before anything slow (audit append, notifications) happens.
        await activateGrant(grant);
        scheduler.schedule(`review:${review.id}`, review.due_at);
        events.publish('access.breakglass.started', { grantId: grant.id, userId: user.id, targetId: resolved.id, flagged });
        await audit.append({
          action: 'access.breakglass.started',
          outcome: 'success',
          actor: auditActor(actor),
          target: targetRef(row),
          reasonCode,
          justification,
          policyIds: decision.policyIds,
          details: { grantId: grant.id, requestId: row.id, endsAt: grant.ends_at, durationSeconds: duration, capped: asked > cap, reviewId: review.id, reviewDueAt: review.due_at, flagged, previousInWindow: previous },
        });
        const context = { ...requestContext(row), grantId: grant.id, endsAt: new Date(grant.ends_at).toISOString(), flagged };
        const manager = user.managerId ? await directory.getUser(user.managerId) : null;
        const securityTeam = (await directory.usersWithPermission('access.revoke')).filter((u) => u.id !== user.id).map((u) => recipient(u, 'security'));
        notify(
          'breakglass.started',
          `BREAK-GLASS: ${user.username} on ${resolved.name}`,
          `${user.username} broke the glass on ${resolved.name} (${reasonCode}) until ${new Date(grant.ends_at).toISOString()}: ${justification}`,
          `${publicUrl}/#/grants/${grant.id}`,
          [security, ...securityTeam, ...(manager ? [recipient(manager, 'manager')] : [])],
          context,
        );
        notify(
          'review.assigned',
          `Review break-glass by ${user.username}`,
          `Please review ${user.username}'s emergency access to ${resolved.name} by ${new Date(review.due_at).toISOString()}.`,
          `${publicUrl}/#/reviews/${review.id}`,
          manager ? [recipient(manager, 'manager')] : [security],
          { ...context, reviewId: review.id, dueAt: new Date(review.due_at).toISOString() },
        );
        if (flagged) {
          await audit.append({
            action: 'access.breakglass.flagged',
            outcome: 'success',
            actor: system,
            target: { type: 'user', id: user.id, name: user.username },
            details: { grantId: grant.id, countInWindow: previous + 1, windowSeconds: settings.repeatedBreakglassWindowSeconds },
          });
          notify('breakglass.flagged', `Repeated break-glass by ${user.username}`, `${user.username} has broken the glass ${previous + 1} times in ${formatDuration(settings.repeatedBreakglassWindowSeconds)}.`, `${publicUrl}/#/reviews/${review.id}`, [security], context);
        }
        return { request: await requestView(row.id), grant: toGrantView(grant, now), review: toReviewView(review), flagged };
      });
    },

    async listReviews(actor: AccessActor, options: { status?: 'open' | 'escalated' | 'completed' | 'pending' | undefined; limit?: number | undefined } = {}): Promise<ReviewView[]> {
      let query = deps.db.selectFrom('access_reviews').selectAll().orderBy('due_at').orderBy('id').limit(options.limit ?? 100);
      const status = options.status ?? 'pending';
      if (status === 'pending') query = query.where('status', 'in', ['open', 'escalated']);
      else query = query.where('status', '=', status);
      query = query.where('user_id', '<>', actor.userId);
      return (await query.execute()).map(toReviewView);
    },

    async completeReview(actor: AccessActor, reviewId: string, input: { outcome: 'appropriate' | 'inappropriate'; note?: string | null }): Promise<ReviewView> {
      const review = await store.getReview(reviewId);
      const target: AuditTarget = review ? { type: 'user', id: review.user_id, name: review.username } : { type: 'review', id: reviewId };
      return audited('access.review.completed', auditActor(actor), target, { reviewId }, async () => {
        if (!review) throw new WardError('NOT_FOUND', `No review ${reviewId}.`);
        if (review.user_id === actor.userId) throw new WardError('SEPARATION_OF_DUTIES', 'Nobody reviews their own break-glass.');
        if (review.status === 'completed') throw new WardError('CONFLICT', 'This review is already completed.');
        const mayReview = review.reviewer_id === actor.userId || review.reviewer_id === null || review.status === 'escalated' || actor.permissions.has('access.revoke');
        if (!mayReview) throw new WardError('PERMISSION_DENIED', "This review belongs to the user's manager until it is overdue and escalated to security.");
        const note = input.note?.trim() || null;
        if (input.outcome === 'inappropriate' && !note) throw new WardError('VALIDATION_FAILED', 'Say what was inappropriate (a note is required).');
        if (!(await store.completeReview(reviewId, { outcome: input.outcome, note, by: actor.userId, at: clock.now() }))) {
          throw new WardError('CONFLICT', 'This review was completed by someone else just now.');
        }
        scheduler.cancel(`review:${reviewId}`);
        await audit.append({ action: 'access.review.completed', outcome: 'success', actor: auditActor(actor), target, details: { reviewId, grantId: review.grant_id, outcome: input.outcome, note, wasOverdue: review.status === 'escalated' } });
        if (input.outcome === 'inappropriate') {
          notify('review.overdue', `Break-glass judged inappropriate: ${review.username}`, `${actor.username} judged ${review.username}'s break-glass on ${review.target_name} inappropriate: ${note}`, `${publicUrl}/#/reviews/${reviewId}`, [security], { reviewId, user: review.username, target: review.target_name });
        }
        return toReviewView((await store.getReview(reviewId))!);
      });
    },

    async importOnCall(actor: AccessActor, source: string, shifts: OnCallShiftInput[]): Promise<{ imported: number }> {
      return audited('access.oncall.imported', auditActor(actor), { type: 'oncall', name: source }, { source }, async () => {
        const resolved = [];
        const userCache = new Map<string, string>();
        for (const [index, shift] of shifts.entries()) {
          const zone = await inventory.getZone(shift.zone);
          if (!zone) throw new WardError('VALIDATION_FAILED', `shift ${index + 1}: no zone "${shift.zone}"`);
          let userId = userCache.get(shift.user);
          if (!userId) {
            const user = (await directory.getUser(shift.user)) ?? (await directory.usersWithPermission('access.request')).find((u) => u.username.toLowerCase() === shift.user.toLowerCase()) ?? null;
            if (!user) throw new WardError('VALIDATION_FAILED', `shift ${index + 1}: no user "${shift.user}"`);
            userId = user.id;
            userCache.set(shift.user, userId);
          }
          const startsAt = Date.parse(shift.start);
          const endsAt = Date.parse(shift.end);
          if (!Number.isFinite(startsAt) || !Number.isFinite(endsAt) || endsAt <= startsAt) {
            throw new WardError('VALIDATION_FAILED', `shift ${index + 1}: start and end must be ISO 8601 times with the end after the start`);
          }
          resolved.push({ zoneId: zone.id, userId, startsAt, endsAt });
        }
        const imported = await storedOnCall.replace(source, resolved, clock.now());
        await audit.append({ action: 'access.oncall.imported', outcome: 'success', actor: auditActor(actor), target: { type: 'oncall', name: source }, details: { source, shifts: imported } });
        return { imported };
      });
    },

    listOnCall: (options: { zoneId?: string; from?: number; to?: number }) => storedOnCall.list(options),
    onCallNow: (zoneId: string) => onCall.onCallFor(zoneId, clock.now()),

    async metrics(): Promise<AccessMetrics> {
      const now = clock.now();
      const since = now - 30 * 24 * 3600 * 1000;
      const granted = await deps.db
        .selectFrom('access_requests')
        .innerJoin('access_grants', 'access_grants.request_id', 'access_requests.id')
        .select(['access_requests.created_at as requested_at', 'access_grants.created_at as granted_at'])
        .where('access_requests.created_at', '>=', since)
        .execute();
      const delays = granted.map((r) => (r.granted_at - r.requested_at) / 1000).sort((a, b) => a - b);
      const median = delays.length === 0 ? null : delays.length % 2 ? delays[(delays.length - 1) / 2]! : (delays[delays.length / 2 - 1]! + delays[delays.length / 2]!) / 2;
      const expired = await deps.db.selectFrom('access_grants').select(['ends_at', 'ended_at']).where('end_reason', '=', 'expired').where('ended_at', '>=', since).execute();
      const meanRevoke = expired.length === 0 ? null : expired.reduce((sum, r) => sum + ((r.ended_at ?? r.ends_at) - r.ends_at), 0) / expired.length / 1000;
      const count = async (query: Promise<{ n: number | string | bigint }>) => Number((await query).n);
      const breakglassCount = await count(deps.db.selectFrom('access_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('breakglass', '=', 1).where('created_at', '>=', since).executeTakeFirstOrThrow());
      const overdueReviews = await count(
        deps.db
          .selectFrom('access_reviews')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where((eb) => eb.or([eb('status', '=', 'escalated'), eb.and([eb('status', '=', 'open'), eb('due_at', '<=', now)])]))
          .executeTakeFirstOrThrow(),
      );
      const activeGrants = await count(deps.db.selectFrom('access_grants').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'active').where('starts_at', '<=', now).executeTakeFirstOrThrow());
      const pendingRequests = await count(deps.db.selectFrom('access_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow());
      const standingAdminCount = deps.standingAdminCount ? await deps.standingAdminCount() : 0;
      let jitShare: number | null;
      if (deps.sessionCounts) {
        const sessions = await deps.sessionCounts();
        jitShare = sessions.jit + sessions.standing === 0 ? null : sessions.jit / (sessions.jit + sessions.standing);
      } else {
        // Without gateway data: people holding JIT grants in the period against people holding standing admin.
        const jitUsers = await count(deps.db.selectFrom('access_grants').select((eb) => eb.fn.count<number>('user_id').distinct().as('n')).where('created_at', '>=', since).executeTakeFirstOrThrow());
        jitShare = jitUsers + standingAdminCount === 0 ? null : jitUsers / (jitUsers + standingAdminCount);
      }
      return { medianSecondsRequestToGrant: median, meanSecondsToRevokeAfterExpiry: meanRevoke, jitShare, standingAdminCount, breakglassCount, overdueReviews, activeGrants, pendingRequests };
    },

    /** Runs every deadline due by the clock (tests call this after moving a manual clock). */
    async tick(): Promise<void> {
      await scheduler.tick();
      await sweep();
    },

    /** Loads open deadlines from the database and, with the 'timer' scheduler, arms real timers. */
    async start(): Promise<void> {
      const onUserGone = ({ userId, reason }: { userId: string; reason: string }) =>
        background(service.revokeAllForUser(userId, `user ${reason}`), `revoke all for ${userId}`);
      unsubscribe = [events.subscribe('identity.user.disabled', onUserGone), events.subscribe('identity.user.locked', onUserGone)];
      for (const grant of await store.activeGrants()) scheduler.schedule(`grant:${grant.id}`, nextGrantDeadline(grant));
      for (const row of await store.pendingRequests()) scheduler.schedule(`request:${row.id}`, row.starts_at + row.duration_seconds * 1000);
      for (const review of await store.openReviews()) scheduler.schedule(`review:${review.id}`, review.due_at);
      if ((deps.scheduler ?? 'manual') === 'timer') {
        scheduler.start();
        sweepTimer = setInterval(() => void sweep().catch((e: unknown) => report(e, 'sweep')), settings.sweepIntervalSeconds * 1000);
        sweepTimer.unref();
      }
      await service.tick();
    },

    async stop(): Promise<void> {
      for (const off of unsubscribe) off();
      unsubscribe = [];
      scheduler.stop();
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = undefined;
      await service.flush();
    },

    /** Waits for notifications in flight (tests; graceful shutdown). */
    async flush(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
  return service;
}

export type AccessService = ReturnType<typeof createAccessService>;

// Queries for requests, approvals, grants and reviews. Every state change is a conditional UPDATE on the
// current status (and version), so concurrent approve/deny/cancel/expire calls resolve to exactly one outcome.
import type { Kysely, Selectable } from 'kysely';
import type { Database, Executor } from '../platform/database/index.js';
import type { AccessApprovalsTable, AccessGrantsTable, AccessRequestsTable, AccessReviewsTable } from './tables.js';
import type { AccessRequestView, GrantEndReason, GrantView, ReviewView, RiskTier } from './types.js';
import type { PurposeOfUse } from '../audit/types.js';
import './tables.js';

export type RequestRow = Selectable<AccessRequestsTable>;
export type ApprovalRow = Selectable<AccessApprovalsTable>;
export type GrantRow = Selectable<AccessGrantsTable>;
export type ReviewRow = Selectable<AccessReviewsTable>;

export function toRequestView(row: RequestRow, approvals: ApprovalRow[]): AccessRequestView {
  return {
    id: row.id,
    requesterId: row.requester_id,
    requesterName: row.requester_name,
    targetId: row.target_id,
    targetName: row.target_name,
    zoneId: row.zone_id,
    riskTier: row.risk_tier as RiskTier,
    accountId: row.account_id,
    accountName: row.account_name,
    reasonCode: row.reason_code as PurposeOfUse,
    justification: row.justification,
    ticket: row.ticket,
    startsAt: row.starts_at,
    durationSeconds: row.duration_seconds,
    status: row.status as AccessRequestView['status'],
    requiredApprovals: row.required_approvals,
    requireOwnerOrManager: row.require_owner_or_manager === 1,
    approvals: approvals.map((a) => ({
      approverId: a.approver_id,
      approverName: a.approver_name,
      decision: a.decision as 'approve' | 'deny',
      note: a.note,
      at: a.created_at,
      valid: a.valid === 1,
    })),
    autoApproved: row.auto_approved === 1,
    onCall: row.on_call === 1,
    breakglass: row.breakglass === 1,
    policyIds: JSON.parse(row.policy_ids) as string[],
    grantId: row.grant_id,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}

export function toGrantView(row: GrantRow, now: number): GrantView {
  const state = row.status === 'ended' ? 'ended' : now < row.starts_at ? 'scheduled' : 'active';
  return {
    id: row.id,
    requestId: row.request_id,
    userId: row.user_id,
    username: row.username,
    targetId: row.target_id,
    targetName: row.target_name,
    zoneId: row.zone_id,
    accountId: row.account_id,
    accountName: row.account_name,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    idleDeadlineAt: row.idle_deadline_at,
    breakglass: row.breakglass === 1,
    state,
    endedAt: row.ended_at,
    endReason: row.end_reason as GrantEndReason | null,
    endedBy: row.ended_by,
    createdAt: row.created_at,
  };
}

export function toReviewView(row: ReviewRow): ReviewView {
  return {
    id: row.id,
    grantId: row.grant_id,
    requestId: row.request_id,
    userId: row.user_id,
    username: row.username,
    targetName: row.target_name,
    reviewerId: row.reviewer_id,
    status: row.status as ReviewView['status'],
    dueAt: row.due_at,
    escalatedAt: row.escalated_at,
    outcome: row.outcome as ReviewView['outcome'],
    note: row.note,
    completedBy: row.completed_by,
    completedAt: row.completed_at,
    flagged: row.flagged === 1,
    createdAt: row.created_at,
  };
}

export function createAccessStore(db: Kysely<Database>) {
  return {
    db,
    getRequest: (id: string, ex: Executor = db) => ex.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst(),
    approvalsFor: (requestId: string, ex: Executor = db) =>
      ex.selectFrom('access_approvals').selectAll().where('request_id', '=', requestId).orderBy('created_at').orderBy('id').execute(),
    async approvalsForMany(ids: string[]): Promise<Map<string, ApprovalRow[]>> {
      const map = new Map<string, ApprovalRow[]>();
      if (ids.length === 0) return map;
      const rows = await db.selectFrom('access_approvals').selectAll().where('request_id', 'in', ids).orderBy('created_at').orderBy('id').execute();
      for (const row of rows) map.set(row.request_id, [...(map.get(row.request_id) ?? []), row]);
      return map;
    },
    insertRequest: (row: RequestRow, ex: Executor = db) => ex.insertInto('access_requests').values(row).execute(),
    insertApproval: (row: ApprovalRow, ex: Executor = db) => ex.insertInto('access_approvals').values(row).execute(),
    insertGrant: (row: GrantRow, ex: Executor = db) => ex.insertInto('access_grants').values(row).execute(),
    insertReview: (row: ReviewRow, ex: Executor = db) => ex.insertInto('access_reviews').values(row).execute(),
    /** Moves a pending request to a final status; false when someone else decided it first (or the version moved). */
    async decide(
      ex: Executor,
      id: string,
      change: { status: string; decidedAt: number; decidedBy: string | null; grantId?: string | null },
      expectedVersion?: number,
    ): Promise<boolean> {
      let query = ex
        .updateTable('access_requests')
        .set((eb) => ({
          status: change.status,
          decided_at: change.decidedAt,
          decided_by: change.decidedBy,
          grant_id: change.grantId ?? null,
          version: eb('version', '+', 1),
        }))
        .where('id', '=', id)
        .where('status', '=', 'pending');
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** Records progress on a pending request (one of two approvals) under optimistic concurrency. */
    async bumpVersion(ex: Executor, id: string, expectedVersion: number): Promise<boolean> {
      const result = await ex
        .updateTable('access_requests')
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    invalidateApproval: (ex: Executor, id: string) => ex.updateTable('access_approvals').set({ valid: 0 }).where('id', '=', id).execute(),
    getGrant: (id: string, ex: Executor = db) => ex.selectFrom('access_grants').selectAll().where('id', '=', id).executeTakeFirst(),
    /** Ends an active grant; false when it had already ended (expiry and revocation racing). */
    async endGrant(id: string, change: { at: number; reason: GrantEndReason; by: string | null }): Promise<boolean> {
      const result = await db
        .updateTable('access_grants')
        .set({ status: 'ended', ended_at: change.at, end_reason: change.reason, ended_by: change.by })
        .where('id', '=', id)
        .where('status', '=', 'active')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async touchGrant(id: string, idleDeadlineAt: number): Promise<boolean> {
      const result = await db
        .updateTable('access_grants')
        .set({ idle_deadline_at: idleDeadlineAt })
        .where('id', '=', id)
        .where('status', '=', 'active')
        .where('idle_deadline_at', '<', idleDeadlineAt)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async markStartedPublished(id: string): Promise<boolean> {
      const result = await db
        .updateTable('access_grants')
        .set({ started_published: 1 })
        .where('id', '=', id)
        .where('started_published', '=', 0)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    activeGrants: () => db.selectFrom('access_grants').selectAll().where('status', '=', 'active').execute(),
    dueGrants: (now: number) =>
      db
        .selectFrom('access_grants')
        .select('id')
        .where('status', '=', 'active')
        .where((eb) => eb.or([eb('ends_at', '<=', now), eb('idle_deadline_at', '<=', now), eb.and([eb('started_published', '=', 0), eb('starts_at', '<=', now)])]))
        .execute(),
    pendingPastWindow: (now: number) =>
      db
        .selectFrom('access_requests')
        .select(['id', 'starts_at', 'duration_seconds'])
        .where('status', '=', 'pending')
        .where('starts_at', '<=', now)
        .execute(),
    pendingRequests: () => db.selectFrom('access_requests').select(['id', 'starts_at', 'duration_seconds']).where('status', '=', 'pending').execute(),
    getReview: (id: string) => db.selectFrom('access_reviews').selectAll().where('id', '=', id).executeTakeFirst(),
    overdueReviews: (now: number) => db.selectFrom('access_reviews').selectAll().where('status', '=', 'open').where('due_at', '<=', now).execute(),
    openReviews: () => db.selectFrom('access_reviews').selectAll().where('status', '=', 'open').execute(),
    async escalateReview(id: string, at: number): Promise<boolean> {
      const result = await db
        .updateTable('access_reviews')
        .set({ status: 'escalated', escalated_at: at })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async completeReview(id: string, change: { outcome: string; note: string | null; by: string; at: number }): Promise<boolean> {
      const result = await db
        .updateTable('access_reviews')
        .set({ status: 'completed', outcome: change.outcome, note: change.note, completed_by: change.by, completed_at: change.at })
        .where('id', '=', id)
        .where('status', 'in', ['open', 'escalated'])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async breakglassCountSince(userId: string, since: number): Promise<number> {
      const row = await db
        .selectFrom('access_requests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('requester_id', '=', userId)
        .where('breakglass', '=', 1)
        .where('created_at', '>=', since)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type AccessStore = ReturnType<typeof createAccessStore>;

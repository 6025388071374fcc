// The access domain's tables, merged into the Database type (see src/platform/database/schema.ts).
import type { Bool } from '../platform/database/schema.js';

export interface AccessRequestsTable {
  id: string;
  requester_id: string;
  requester_name: string;
  target_id: string;
  target_name: string;
  zone_id: string;
  risk_tier: string;
  owner_id: string | null;
  account_id: string | null;
  account_name: string | null;
  reason_code: string;
  justification: string;
  ticket: string | null;
  starts_at: number;
  duration_seconds: number;
  status: string;
  required_approvals: number;
  require_owner_or_manager: Bool;
  auto_approved: Bool;
  on_call: Bool;
  breakglass: Bool;
  policy_ids: string;
  grant_id: string | null;
  version: number;
  created_at: number;
  decided_at: number | null;
  decided_by: string | null;
}

export interface AccessApprovalsTable {
  id: string;
  request_id: string;
  approver_id: string;
  approver_name: string;
  decision: string;
  relation: string;
  note: string | null;
  valid: Bool;
  created_at: number;
}

export interface AccessGrantsTable {
  id: string;
  request_id: string;
  user_id: string;
  username: string;
  target_id: string;
  target_name: string;
  zone_id: string;
  account_id: string | null;
  account_name: string | null;
  starts_at: number;
  ends_at: number;
  idle_seconds: number;
  idle_deadline_at: number;
  breakglass: Bool;
  status: string;
  ended_at: number | null;
  end_reason: string | null;
  ended_by: string | null;
  started_published: Bool;
  created_at: number;
}

export interface AccessReviewsTable {
  id: string;
  grant_id: string;
  request_id: string;
  user_id: string;
  username: string;
  target_name: string;
  reviewer_id: string | null;
  status: string;
  due_at: number;
  escalated_at: number | null;
  outcome: string | null;
  note: string | null;
  completed_by: string | null;
  completed_at: number | null;
  flagged: Bool;
  created_at: number;
}

export interface AccessOnCallShiftsTable {
  id: string;
  source: string;
  zone_id: string;
  user_id: string;
  starts_at: number;
  ends_at: number;
  imported_at: number;
}

declare module '../platform/database/schema.js' {
  interface Database {
    access_requests: AccessRequestsTable;
    access_approvals: AccessApprovalsTable;
    access_grants: AccessGrantsTable;
    access_reviews: AccessReviewsTable;
    access_oncall_shifts: AccessOnCallShiftsTable;
  }
}

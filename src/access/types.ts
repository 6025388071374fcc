// The access domain's vocabulary and the narrow interfaces it needs from identity, inventory, policy,
// on-call, ticketing and notification; the composition root adapts the real services to these.
import type { Permission } from '../platform/permissions.js';
import type { PurposeOfUse } from '../audit/types.js';

export type RiskTier = 'low' | 'moderate' | 'high' | 'critical';
export const riskTiers: RiskTier[] = ['low', 'moderate', 'high', 'critical'];

/** The caller of a service method; an HTTP Principal is structurally one. */
export interface AccessActor {
  userId: string;
  username: string;
  kind: 'human' | 'service' | 'vendor';
  permissions: ReadonlySet<Permission>;
  /** When the caller last proved a second factor (epoch ms), for break-glass. */
  mfaVerifiedAt: number | null;
}

export interface AccessUser {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  managerId: string | null;
  status: 'active' | 'disabled' | 'locked' | 'leaver';
  kind: 'human' | 'service' | 'vendor';
}

export interface AccessDirectory {
  getUser(id: string): Promise<AccessUser | null>;
  /** Does the user hold the permission right now (roles can change between request and approval)? */
  hasPermission(userId: string, permission: Permission): Promise<boolean>;
  /** Every active user holding the permission (approver and security notification lists). */
  usersWithPermission(permission: Permission): Promise<AccessUser[]>;
}

export interface AccessTarget {
  id: string;
  name: string;
  zoneId: string;
  zoneName: string;
  riskTier: RiskTier;
  clinicalCritical: boolean;
  ownerId: string | null;
}

export interface AccessAccount {
  id: string;
  name: string;
  targetId: string;
}

export interface AccessInventory {
  /** By id or by name (case-insensitive). */
  getTarget(idOrName: string): Promise<AccessTarget | null>;
  /** An account on the target, by id or name. */
  getAccount(targetId: string, idOrName: string): Promise<AccessAccount | null>;
  /** A zone by id or name (on-call schedules name zones). */
  getZone(idOrName: string): Promise<{ id: string; name: string } | null>;
}

export type AccessAction = 'request' | 'approve' | 'breakglass';

export interface PolicyObligations {
  /** How many distinct approvers the request needs. */
  approvals?: 0 | 1 | 2;
  /** One of the approvers must be the requester's manager or the target's owner. */
  requireOwnerOrManager?: boolean;
  requireTicket?: boolean;
  maxDurationSeconds?: number;
  /** Auto-approved (on-call): alert the approvers anyway. */
  escalate?: boolean;
}

export interface AccessPolicyInput {
  principal: { id: string; username: string; kind: AccessUser['kind']; permissions: Permission[]; managerId: string | null };
  target: AccessTarget;
  account: AccessAccount | null;
  context: {
    now: number;
    reasonCode?: PurposeOfUse | undefined;
    ticket?: string | null | undefined;
    durationSeconds?: number | undefined;
    onCall: boolean;
    /** For 'approve': who asked. */
    requesterId?: string | undefined;
    emergency?: boolean | undefined;
    /** When the caller last proved a second factor (epoch ms): policy may demand a recent one (after hours). */
    mfaVerifiedAt?: number | null | undefined;
  };
}

export interface AccessDecision {
  decision: 'allow' | 'deny';
  policyIds: string[];
  reasons: string[];
  obligations?: PolicyObligations;
}

export interface AccessPolicy {
  decide(action: AccessAction, input: AccessPolicyInput): Promise<AccessDecision> | AccessDecision;
}

export interface OnCallShift {
  zoneId: string;
  userId: string;
  startsAt: number;
  endsAt: number;
}

/** Who is on call for which zone; PagerDuty/Opsgenie connectors implement the same interface. */
export interface OnCallSchedule {
  isOnCall(userId: string, zoneId: string, at: number): Promise<boolean>;
  onCallFor(zoneId: string, at: number): Promise<string[]>;
}

export interface TicketStatus {
  exists: boolean;
  open: boolean;
}

export interface TicketConnector {
  check(ticket: string): Promise<TicketStatus>;
}

export type NotificationKind =
  | 'approval.needed'
  | 'request.decided'
  | 'grant.escalation'
  | 'grant.ended'
  | 'breakglass.started'
  | 'breakglass.flagged'
  | 'review.assigned'
  | 'review.overdue';

export interface NotificationRecipient {
  userId: string | null;
  username: string | null;
  email: string | null;
  /** Why they get it; 'security' means the security team's address. */
  role: 'approver' | 'requester' | 'manager' | 'owner' | 'security';
}

export interface AccessNotification {
  id: string;
  kind: NotificationKind;
  subject: string;
  text: string;
  /** `${publicUrl}/#/approvals/<id>` or similar. */
  link: string | null;
  recipients: NotificationRecipient[];
  /** The request's context: target, zone, tier, reason, ticket, window. Scalars only, no secrets. */
  context: Record<string, string | number | boolean | null>;
  at: number;
}

export interface Notifier {
  send(notification: AccessNotification): Promise<void>;
}

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'cancelled' | 'expired';
export type GrantEndReason = 'expired' | 'revoked' | 'inactive';

export interface AccessRequestView {
  id: string;
  requesterId: string;
  requesterName: string;
  targetId: string;
  targetName: string;
  zoneId: string;
  riskTier: RiskTier;
  accountId: string | null;
  accountName: string | null;
  reasonCode: PurposeOfUse;
  justification: string;
  ticket: string | null;
  startsAt: number;
  durationSeconds: number;
  status: RequestStatus;
  requiredApprovals: number;
  requireOwnerOrManager: boolean;
  approvals: { approverId: string; approverName: string; decision: 'approve' | 'deny'; note: string | null; at: number; valid: boolean }[];
  autoApproved: boolean;
  onCall: boolean;
  breakglass: boolean;
  policyIds: string[];
  grantId: string | null;
  createdAt: number;
  decidedAt: number | null;
}

export interface GrantView {
  id: string;
  requestId: string;
  userId: string;
  username: string;
  targetId: string;
  targetName: string;
  zoneId: string;
  accountId: string | null;
  accountName: string | null;
  startsAt: number;
  endsAt: number;
  idleDeadlineAt: number;
  breakglass: boolean;
  /** 'scheduled' before its window, 'active' inside it, 'ended' after. */
  state: 'scheduled' | 'active' | 'ended';
  endedAt: number | null;
  endReason: GrantEndReason | null;
  endedBy: string | null;
  createdAt: number;
}

export interface ReviewView {
  id: string;
  grantId: string;
  requestId: string;
  userId: string;
  username: string;
  targetName: string;
  reviewerId: string | null;
  status: 'open' | 'escalated' | 'completed';
  dueAt: number;
  escalatedAt: number | null;
  outcome: 'appropriate' | 'inappropriate' | null;
  note: string | null;
  completedBy: string | null;
  completedAt: number | null;
  flagged: boolean;
  createdAt: number;
}

export interface AccessMetrics {
  medianSecondsRequestToGrant: number | null;
  meanSecondsToRevokeAfterExpiry: number | null;
  jitShare: number | null;
  standingAdminCount: number;
  breakglassCount: number;
  overdueReviews: number;
  activeGrants: number;
  pendingRequests: number;
}

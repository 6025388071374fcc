// The default access policy: approvals, ticket and duration follow the target's risk tier; on-call staff on
// clinical-critical targets are auto-approved with an escalation alert. The lead may swap in the Cedar engine.
import type { AccessDecision, AccessPolicy, AccessPolicyInput, PolicyObligations, RiskTier } from './types.js';

export interface TierRule {
  approvals: 0 | 1 | 2;
  requireOwnerOrManager: boolean;
  requireTicket: boolean;
  maxDurationSeconds: number;
}

export const defaultTierRules: Record<RiskTier, TierRule> = {
  low: { approvals: 0, requireOwnerOrManager: false, requireTicket: false, maxDurationSeconds: 8 * 3600 },
  moderate: { approvals: 1, requireOwnerOrManager: false, requireTicket: false, maxDurationSeconds: 4 * 3600 },
  high: { approvals: 2, requireOwnerOrManager: true, requireTicket: true, maxDurationSeconds: 2 * 3600 },
  critical: { approvals: 2, requireOwnerOrManager: true, requireTicket: true, maxDurationSeconds: 3600 },
};

export interface RiskTierPolicyOptions {
  tiers?: Partial<Record<RiskTier, TierRule>>;
  /** Break-glass grants are capped at this (default 60 minutes). */
  breakglassMaxSeconds?: number;
  /** On-call auto-approval length cap (default 4 hours). */
  onCallMaxSeconds?: number;
}

export function createRiskTierPolicy(options: RiskTierPolicyOptions = {}): AccessPolicy {
  const tiers = { ...defaultTierRules, ...options.tiers };
  const breakglassMax = options.breakglassMaxSeconds ?? 3600;
  const onCallMax = options.onCallMaxSeconds ?? 4 * 3600;
  return {
    decide(action, input: AccessPolicyInput): AccessDecision {
      const { principal, target, context } = input;
      const tier = tiers[target.riskTier];
      if (principal.kind === 'service') {
        return { decision: 'deny', policyIds: ['ward.access.humans-only'], reasons: ['service identities use API tokens, not JIT access'] };
      }
      if (action === 'breakglass') {
        if (!principal.permissions.includes('access.breakglass')) {
          return { decision: 'deny', policyIds: ['ward.access.breakglass.entitled'], reasons: ['not entitled to break-glass'] };
        }
        if (principal.kind === 'vendor') {
          return { decision: 'deny', policyIds: ['ward.access.breakglass.no-vendors'], reasons: ['vendors cannot break the glass'] };
        }
        return {
          decision: 'allow',
          policyIds: ['ward.access.breakglass.entitled'],
          reasons: ['entitled to emergency access'],
          obligations: { approvals: 0, maxDurationSeconds: breakglassMax },
        };
      }
      if (action === 'approve') {
        if (context.requesterId === principal.id) {
          return { decision: 'deny', policyIds: ['ward.access.sod'], reasons: ['nobody approves their own request'] };
        }
        if (principal.kind !== 'human') {
          return { decision: 'deny', policyIds: ['ward.access.approver'], reasons: ['only staff approve access'] };
        }
        if (!principal.permissions.includes('access.approve')) {
          return { decision: 'deny', policyIds: ['ward.access.approver'], reasons: ['not an approver'] };
        }
        return { decision: 'allow', policyIds: ['ward.access.approver'], reasons: ['holds access.approve'] };
      }
      // request
      if (context.onCall && target.clinicalCritical) {
        const obligations: PolicyObligations = {
          approvals: 0,
          requireTicket: false,
          maxDurationSeconds: Math.min(onCallMax, Math.max(tier.maxDurationSeconds, 3600)),
          escalate: true,
        };
        return {
          decision: 'allow',
          policyIds: ['ward.access.oncall.clinical-critical'],
          reasons: [`on call for zone ${target.zoneName}; ${target.name} is clinical-critical: auto-approved with escalation`],
          obligations,
        };
      }
      return {
        decision: 'allow',
        policyIds: [`ward.access.tier.${target.riskTier}`],
        reasons: [
          `${target.riskTier} risk: ${tier.approvals === 0 ? 'no approval' : tier.approvals === 1 ? 'one peer approval' : 'two approvals incl. manager or owner'}`,
        ],
        obligations: {
          approvals: tier.approvals,
          requireOwnerOrManager: tier.requireOwnerOrManager,
          requireTicket: tier.requireTicket,
          maxDurationSeconds: tier.maxDurationSeconds,
        },
      };
    },
  };
}

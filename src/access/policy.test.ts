import { describe, expect, it } from 'vitest';
import { createRiskTierPolicy } from './policy.js';
import type { AccessPolicyInput, AccessTarget, RiskTier } from './types.js';

const target = (riskTier: RiskTier, clinicalCritical = false): AccessTarget => ({ id: 't', name: 't', zoneId: 'z', zoneName: 'icu', riskTier, clinicalCritical, ownerId: 'owner' });
const input = (t: AccessTarget, extra: Partial<AccessPolicyInput['context']> = {}, permissions: AccessPolicyInput['principal']['permissions'] = ['access.request']): AccessPolicyInput => ({
  principal: { id: 'u', username: 'u', kind: 'human', permissions, managerId: 'm' },
  target: t,
  account: null,
  context: { now: 0, onCall: false, ...extra },
});

describe('risk-tier policy', () => {
  const policy = createRiskTierPolicy();
  it('asks for more approvals, tickets and shorter windows as the risk tier rises', () => {
    const obligations = (['low', 'moderate', 'high', 'critical'] as const).map((tier) => policy.decide('request', input(target(tier))));
    expect(obligations.map((d) => (d as { obligations: { approvals: number } }).obligations.approvals)).toEqual([0, 1, 2, 2]);
    expect(obligations.map((d) => (d as { obligations: { requireTicket: boolean } }).obligations.requireTicket)).toEqual([false, false, true, true]);
    const max = obligations.map((d) => (d as { obligations: { maxDurationSeconds: number } }).obligations.maxDurationSeconds);
    expect([...max].sort((a, b) => b - a)).toEqual(max);
  });
  it('auto-approves on-call staff on clinical-critical targets only, with escalation', () => {
    const onCall = policy.decide('request', input(target('critical', true), { onCall: true })) as { obligations: { approvals: number; escalate: boolean } };
    expect(onCall.obligations).toMatchObject({ approvals: 0, escalate: true });
    const notCritical = policy.decide('request', input(target('critical', false), { onCall: true })) as { obligations: { approvals: number } };
    expect(notCritical.obligations.approvals).toBe(2);
  });
  it('denies self-approval and break-glass without entitlement', () => {
    expect((policy.decide('approve', input(target('low'), { requesterId: 'u' }, ['access.approve'])) as { decision: string }).decision).toBe('deny');
    expect((policy.decide('breakglass', input(target('critical'))) as { decision: string }).decision).toBe('deny');
    expect((policy.decide('breakglass', input(target('critical'), {}, ['access.breakglass'])) as { decision: string }).decision).toBe('allow');
  });
});

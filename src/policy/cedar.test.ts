// Parsing and validation: invalid sets are refused with Cedar's own message and the line it points at.
import { describe, expect, it } from 'vitest';
import { isWardError } from '../platform/errors.js';
import { parsePolicySet } from './cedar.js';

function refusal(text: string) {
  try {
    parsePolicySet(text);
  } catch (error) {
    if (isWardError(error, 'POLICY_INVALID')) return error;
    throw error;
  }
  throw new Error('the set was accepted');
}

const good = `@id("a")
@description("first")
permit (principal in Role::"sysadmin", action == Action::"connect", resource);

@id("b")
@description("second")
forbid (principal, action, resource)
when { context.afterHours };`;

describe('policy set parsing', () => {
  it('keeps ids, descriptions, effects and lines of each policy in text order', () => {
    const set = parsePolicySet(good);
    expect(set.policies.map((p) => [p.id, p.description, p.effect, p.line])).toEqual([
      ['a', 'first', 'permit', 1],
      ['b', 'second', 'forbid', 5],
    ]);
  });

  it('refuses a syntax error with the parser message and its line', () => {
    const error = refusal(good.replace('when { context.afterHours }', 'when { context.afterHours && }'));
    expect(error.message).toMatch(/^line 8: failed to parse policies/);
    expect(error.message).toContain('unexpected token');
  });

  it('refuses a schema violation with Cedar’s message, the policy id and the line', () => {
    const error = refusal(good.replace('context.afterHours', 'context.afterhours'));
    expect(error.message).toContain('line 8');
    expect(error.message).toContain('attribute `afterhours` in context');
    expect(error.message).toContain('for policy `b`');
    expect((error.details?.problems as { policyId: string }[])[0]?.policyId).toBe('b');
  });

  it('refuses an unknown entity type', () => {
    expect(refusal(good.replace('Role::"sysadmin"', 'Rolle::"sysadmin"')).message).toMatch(/Rolle/);
  });

  it('refuses a policy without an @id', () => {
    expect(refusal(`permit (principal, action, resource);`).message).toContain('has no @id');
  });

  it('refuses two policies with the same id', () => {
    expect(refusal(good.replace('@id("b")', '@id("a")')).message).toContain('duplicate policy id "a"');
  });

  it('refuses templates', () => {
    expect(refusal(`@id("t") permit (principal == ?principal, action, resource);`).message).toMatch(/template/);
  });
});

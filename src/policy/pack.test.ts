// The default hospital pack: every policy carries a stable id and a description, and its test file passes
// through the compiled evaluator with cedar-wasm agreeing on every case.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicySet } from './cedar.js';
import { parsePolicyTestFile, runPolicyTests } from './testfile.js';
import { hospitalPackText } from './service.js';

const packText = hospitalPackText();
const testFile = parsePolicyTestFile(readFileSync(new URL('./pack/hospital.test.yaml', import.meta.url), 'utf8'));
const report = runPolicyTests(testFile, packText);

describe('default hospital policy pack', () => {
  it('validates against the Ward schema with an id and a plain-English description on every policy', () => {
    const set = parsePolicySet(packText);
    expect(set.policies.length).toBeGreaterThanOrEqual(20);
    for (const policy of set.policies) {
      expect(policy.id).toMatch(/^[a-z0-9.-]+$/);
      expect(policy.description.length).toBeGreaterThan(20);
    }
  });

  it('covers every role the hospital needs', () => {
    for (const role of ['ehr-dba', 'sysadmin', 'network-admin', 'clinical-engineer', 'security-analyst', 'privacy-officer', 'auditor', 'vendor-technician']) {
      expect(packText).toContain(`Role::"${role}"`);
    }
  });

  it.each(report.results.map((r) => [r.name, r] as const))('%s', (_name, result) => {
    expect(result.problem ?? '').toBe('');
    expect(result.passed).toBe(true);
  });
});

describe('policy test files', () => {
  it('report a failing expectation with what was expected and what happened', () => {
    const broken = { ...testFile, tests: [{ ...testFile.tests[0]!, expect: 'deny' as const }] };
    const result = runPolicyTests(broken, packText).results[0]!;
    expect(result.passed).toBe(false);
    expect(result.problem).toContain('expected deny, got allow');
  });

  it('fail when a policy the tests rely on is removed from the set', () => {
    const withoutSod = packText.replace(/@id\("sod\.no-self-approval"\)[\s\S]*?when \{ context\.requester == principal \};/, '');
    const results = runPolicyTests(testFile, withoutSod).results;
    const selfApproval = results.find((r) => r.name === 'nobody approves their own request')!;
    expect(selfApproval.passed).toBe(false);
  });

  it('refuse a file without tests', () => {
    expect(() => parsePolicyTestFile('name: x\n')).toThrow(/needs `now`, `entities` and `tests`/);
  });
});

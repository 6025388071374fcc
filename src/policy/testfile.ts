// Policy test files (like OPA's tests): a YAML file of fixture entities and requests with the expected decision,
// run against a policy set through both evaluators. `ward policy test` and CI run them.
import { parse as parseYaml } from 'yaml';
import { WardError } from '../platform/errors.js';
import { parsePolicySet, type ParsedPolicySet } from './cedar.js';
import { createState, decide, explain } from './engine.js';
import type { EntitySnapshot, EntityRef, EntityTypeName, PolicyRequest, RequestContextInput, WardAction } from './types.js';

export interface PolicyTestCase {
  name: string;
  principal: string;
  action: WardAction;
  /** `Target::ehr-db-01`, `Account::ehr-db-01-root`, `System::ward`, or a bare target id. */
  resource: string;
  context?: RequestContextInput;
  expect: 'allow' | 'deny';
  /** Exact set of determining policy ids, when given. */
  determining?: string[];
  /** Text the explanation (summary or refusal) must contain, when given. */
  reason?: string;
  /** ISO time for this test instead of the file's `now`. */
  at?: string;
}

export interface PolicyTestFile {
  name: string;
  /** ISO time the tests run at (drives hour, shift, after-hours, BAA validity). */
  now: string;
  timeZone?: string;
  entities: EntitySnapshot;
  defaults?: { context?: RequestContextInput };
  tests: PolicyTestCase[];
}

export interface PolicyTestResult {
  name: string;
  passed: boolean;
  expected: 'allow' | 'deny';
  actual: 'allow' | 'deny';
  determining: string[];
  /** What went wrong, when it failed. */
  problem?: string;
  summary: string;
}

export interface PolicyTestReport {
  name: string;
  passed: number;
  failed: number;
  results: PolicyTestResult[];
}

export function parsePolicyTestFile(text: string): PolicyTestFile {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new WardError('VALIDATION_FAILED', `the policy test file is not valid YAML: ${(error as Error).message}`);
  }
  const file = data as Partial<PolicyTestFile> | null;
  if (!file || typeof file !== 'object' || !Array.isArray(file.tests) || !file.entities || typeof file.now !== 'string') {
    throw new WardError('VALIDATION_FAILED', 'a policy test file needs `now`, `entities` and `tests`');
  }
  const entities = file.entities as Partial<EntitySnapshot>;
  return {
    name: file.name ?? 'policy tests',
    now: file.now,
    ...(file.timeZone ? { timeZone: file.timeZone } : {}),
    entities: {
      users: entities.users ?? [],
      groups: entities.groups ?? [],
      roles: entities.roles ?? [],
      vendors: (entities.vendors ?? []).map((v) => ({ ...v, baaExpiresAt: toMs(v.baaExpiresAt as unknown) })),
      zones: entities.zones ?? [],
      targets: entities.targets ?? [],
      accounts: entities.accounts ?? [],
    },
    ...(file.defaults ? { defaults: file.defaults } : {}),
    tests: file.tests,
  };
}

function toMs(value: unknown): number {
  if (typeof value === 'number') return value;
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms)) throw new WardError('VALIDATION_FAILED', `not a time: ${String(value)}`);
  return ms;
}

export function parseResourceRef(text: string): EntityRef {
  const match = /^(\w+)::"?([^"]*)"?$/.exec(text);
  if (!match) return { type: 'Target', id: text };
  return { type: match[1] as EntityTypeName, id: match[2]! };
}

/** Runs a test file against policy text through the compiled evaluator, and checks cedar-wasm agrees. */
export function runPolicyTests(file: PolicyTestFile, policies: string | ParsedPolicySet): PolicyTestReport {
  const set = typeof policies === 'string' ? parsePolicySet(policies) : policies;
  const state = createState(set, file.entities, 0, file.timeZone ?? 'UTC');
  const now = toMs(file.now);
  const results = file.tests.map((test): PolicyTestResult => {
    const request: PolicyRequest = {
      principal: { type: 'User', id: test.principal },
      action: test.action,
      resource: parseResourceRef(test.resource),
      context: { ...(file.defaults?.context ?? {}), ...(test.context ?? {}) },
    };
    const at = test.at ? toMs(test.at) : now;
    const compiled = explain(state, request, at, 'compiled');
    const reference = decide(state, request, at, 'cedar-wasm');
    const problems: string[] = [];
    if (compiled.decision !== test.expect) problems.push(`expected ${test.expect}, got ${compiled.decision}`);
    if (test.determining) {
      const want = [...test.determining].sort().join(', ');
      const got = [...compiled.determining].sort().join(', ');
      if (want !== got) problems.push(`expected determining [${want}], got [${got}]`);
    }
    if (test.reason && !`${compiled.summary} ${compiled.refusal ?? ''}`.includes(test.reason)) {
      problems.push(`explanation does not mention "${test.reason}": ${compiled.summary}`);
    }
    if (reference.decision !== compiled.decision || [...reference.determining].sort().join() !== [...compiled.determining].sort().join()) {
      problems.push(`cedar-wasm disagrees: ${reference.decision} by [${reference.determining.join(', ')}]`);
    }
    return {
      name: test.name,
      passed: problems.length === 0,
      expected: test.expect,
      actual: compiled.decision,
      determining: compiled.determining,
      summary: compiled.summary,
      ...(problems.length ? { problem: problems.join('; ') } : {}),
    };
  });
  const failed = results.filter((r) => !r.passed).length;
  return { name: file.name, passed: results.length - failed, failed, results };
}

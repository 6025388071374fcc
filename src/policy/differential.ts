// The differential check: generated worlds, policies and requests through the compiled evaluator and cedar-wasm,
// comparing decision, determining policies and erroring policies. Used by the CI tests and `ward policy selftest`.
import { parsePolicySet } from './cedar.js';
import { createState } from './engine.js';
import { hospitalPackText } from './service.js';
import { generatePolicies, generateRequest, generateWorld, seededRandom } from './generate.js';
import type { CedarRequest, EvaluationResult } from './types.js';

export interface Disagreement {
  seed: number;
  request: CedarRequest;
  compiled: EvaluationResult;
  reference: EvaluationResult;
}

export interface DifferentialReport {
  requests: number;
  disagreements: Disagreement[];
  allowed: number;
  fallbackDecisions: number;
  erroredDecisions: number;
  referenceMs: number;
  compiledMs: number;
}

const sorted = (ids: string[]) => [...ids].sort().join(',');

/** Runs `rounds` fresh worlds of `perRound` requests each, starting at `seed`. */
export function runDifferential(options: { seed: number; rounds: number; perRound: number; generatedPolicies?: number }): DifferentialReport {
  const now = Date.UTC(2026, 10, 23, 9);
  const report: DifferentialReport = { requests: 0, disagreements: [], allowed: 0, fallbackDecisions: 0, erroredDecisions: 0, referenceMs: 0, compiledMs: 0 };
  const pack = hospitalPackText();
  for (let round = 0; round < options.rounds; round++) {
    const seed = options.seed + round;
    const random = seededRandom(seed);
    const world = generateWorld(random, { users: 200, groups: 30, targets: 120, now });
    const text = `${pack}\n\n${generatePolicies(random, world, options.generatedPolicies ?? 20, { prefix: String(seed), withFallbacks: round % 2 === 0 })}`;
    // Generated policies are not schema-checked on purpose: ill-typed ones exercise the error paths.
    const state = createState(parsePolicySet(text, { validate: false }), world, 1, 'UTC');
    const reference = state.reference();
    const requests = Array.from({ length: options.perRound }, () => generateRequest(random, world, now));
    let started = performance.now();
    const expected = requests.map((r) => reference.evaluate(r));
    report.referenceMs += performance.now() - started;
    started = performance.now();
    const actual = requests.map((r) => state.compiled.evaluate(r));
    report.compiledMs += performance.now() - started;
    for (let i = 0; i < requests.length; i++) {
      const a = actual[i]!;
      const e = expected[i]!;
      report.requests++;
      if (a.decision === 'allow') report.allowed++;
      if (a.fallbacks.length) report.fallbackDecisions++;
      if (a.errored.length) report.erroredDecisions++;
      if (a.decision !== e.decision || sorted(a.determining) !== sorted(e.determining) || sorted(a.errored) !== sorted(e.errored)) {
        report.disagreements.push({ seed, request: requests[i]!, compiled: a, reference: e });
      }
    }
  }
  return report;
}

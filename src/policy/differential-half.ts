// One half of the differential test (compiled evaluator vs cedar-wasm on 50,000 generated requests). Two files
// each run a half so CI's two workers share the 100,000; zero disagreements on decision, determining and
// erroring policies.
import { describe, expect, it } from 'vitest';
import { runDifferential } from './differential.js';

export function differentialHalf(label: 'a' | 'b', seedOffset: number): void {
  // A fresh seed per run widens coverage over time; a failure prints it, and POLICY_DIFF_SEED replays it.
  const seed = Number(process.env.POLICY_DIFF_SEED ?? Math.floor(Math.random() * 1_000_000)) + seedOffset;

  describe(`compiled evaluator against cedar-wasm (${label})`, () => {
    it('agrees on 50,000 generated requests', { timeout: 300_000 }, () => {
      const report = runDifferential({ seed, rounds: 5, perRound: 10_000 });
      const first = report.disagreements[0];
      expect(report.requests).toBe(50_000);
      expect(first ? { seed: first.seed, request: first.request, compiled: first.compiled, cedar: first.reference } : null).toBeNull();
      expect(report.disagreements).toHaveLength(0);
      // The generated mix must exercise both outcomes, error paths and the cedar-wasm fallback.
      expect(report.allowed).toBeGreaterThan(1_000);
      expect(report.requests - report.allowed).toBeGreaterThan(1_000);
      expect(report.erroredDecisions).toBeGreaterThan(100);
      expect(report.fallbackDecisions).toBeGreaterThan(10);
      console.log(
        `differential ${label}: seed ${seed}, cedar-wasm ${(report.referenceMs / report.requests).toFixed(3)} ms/decision, ` +
          `compiled ${((report.compiledMs * 1000) / report.requests).toFixed(1)} µs/decision`,
      );
    });
  });
}

// Policy decision benchmark: the compiled evaluator against cedar-wasm on the same requests, at 10 and 520
// policies over 5,000 users in 200 groups and 2,000 targets; cold start; decisions while sets are swapped.
import { percentile, result, type BenchResult, type BenchSuite } from './harness.js';
import { parsePolicySet, preparse } from '../src/policy/cedar.js';
import { createState, decide, type PolicyState } from '../src/policy/engine.js';
import { hospitalPackText } from '../src/policy/service.js';
import { generateRequest, generateWorld, packRoles, packZones, seededRandom, type Random } from '../src/policy/generate.js';
import type { CedarRequest, EntitySnapshot, Evaluator, PolicyRequest } from '../src/policy/types.js';

const now = Date.UTC(2026, 10, 23, 9);

/** Realistic extra policies: group-scoped permits with context conditions, a few global forbids. */
function groupPolicies(random: Random, world: EntitySnapshot, count: number): string {
  const actions = ['connect', 'exec', 'query', 'request', 'reveal'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const group = world.groups[i % world.groups.length]!.id;
    const zone = packZones[Math.floor(random() * packZones.length)]!.id;
    const action = actions[Math.floor(random() * actions.length)]!;
    const tier = 1 + Math.floor(random() * 4);
    if (i % 25 === 24) {
      out.push(`@id("bench.forbid.${i}")\n@description("bench forbid ${i}")\nforbid (principal, action == Action::"${action}", resource in Zone::"${zone}")\nwhen { context.deviceTrust == "unknown" && context.riskTier >= ${tier} && !context.emergency };`);
    } else {
      out.push(
        `@id("bench.permit.${i}")\n@description("bench permit ${i}")\npermit (principal in Group::"${group}", action == Action::"${action}", resource in Zone::"${zone}")\n` +
          `when { context.mfaAgeSeconds <= ${300 + Math.floor(random() * 1200)} && (context has ticket || context.onCall) && context.riskTier <= ${tier} && principal in Role::"${packRoles[i % packRoles.length]}" };`,
      );
    }
  }
  return out.join('\n\n');
}

function latencies(evaluator: Evaluator, requests: CedarRequest[], count: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const request = requests[i % requests.length]!;
    const started = process.hrtime.bigint();
    evaluator.evaluate(request);
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return samples;
}

function throughput(evaluator: Evaluator, requests: CedarRequest[], count: number): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) evaluator.evaluate(requests[i % requests.length]!);
  return count / ((performance.now() - started) / 1000);
}

function buildSet(world: EntitySnapshot, size: number) {
  const pack = hospitalPackText();
  const packSet = parsePolicySet(pack);
  if (size <= packSet.policies.length) {
    const text = packSet.policies.slice(0, size).map((p) => p.text).join('\n\n');
    return text;
  }
  return `${pack}\n\n${groupPolicies(seededRandom(size), world, size - packSet.policies.length)}`;
}

const suite: BenchSuite = async ({ quick }) => {
  const results: BenchResult[] = [];
  const random = seededRandom(7);
  const world = generateWorld(random, { users: 5_000, groups: 200, targets: 2_000, now });
  const requests = Array.from({ length: 2_000 }, () => generateRequest(random, world, now));
  const compiledCount = quick ? 20_000 : 200_000;

  for (const size of [10, 520]) {
    const text = buildSet(world, size);
    const state = createState(parsePolicySet(text), world, 1, 'UTC');
    if (state.set.policies.length !== size) throw new Error(`expected ${size} policies, got ${state.set.policies.length}`);
    const reference = state.reference();
    const referenceCount = quick ? 100 : size > 100 ? 400 : 2_000;
    latencies(state.compiled, requests, 20_000); // warm-up
    latencies(reference, requests, 20);
    const compiled = latencies(state.compiled, requests, compiledCount);
    const cedar = latencies(reference, requests, referenceCount);
    // Same requests, same answers: the benchmark is void if they disagree.
    for (const r of requests.slice(0, referenceCount)) {
      const a = state.compiled.evaluate(r);
      const b = reference.evaluate(r);
      if (a.decision !== b.decision || [...a.determining].sort().join() !== [...b.determining].sort().join()) {
        throw new Error(`evaluators disagree on ${JSON.stringify(r)}`);
      }
    }
    const base = (value: number) => ({ value, name: 'cedar-wasm' });
    results.push(result(`decision p50, ${size} policies`, percentile(compiled, 50), 'µs', 'lower', base(percentile(cedar, 50))));
    results.push(result(`decision p99, ${size} policies`, percentile(compiled, 99), 'µs', 'lower', base(percentile(cedar, 99)), size === 520 ? '≤ 20 µs, ≥ 100× faster' : undefined));
    results.push(result(`decisions/s, ${size} policies`, throughput(state.compiled, requests, compiledCount), 'decisions/s', 'higher', base(throughput(reference, requests, Math.min(referenceCount, 200)))));
  }

  // Cold start: parse + validate + build entity index + compile, against cedar-wasm's parse + validate + preparse.
  const text520 = buildSet(world, 520);
  let started = performance.now();
  const cold = createState(parsePolicySet(text520), world, 1, 'UTC');
  const coldMs = performance.now() - started;
  started = performance.now();
  const parsedAgain = parsePolicySet(text520);
  preparse(Object.fromEntries(parsedAgain.policies.map((p) => [p.id, p.text])));
  const cedarColdMs = performance.now() - started;
  results.push(result('cold start (load, validate, index 5,000 users, compile 520 policies)', coldMs, 'ms', 'lower', { value: cedarColdMs, name: 'cedar-wasm parse+validate+preparse' }));

  // Swap under load: decisions keep flowing while 520-policy sets are swapped in; none may fail.
  let state: PolicyState = cold;
  const policyRequests: PolicyRequest[] = world.users.slice(0, 500).map((u, i) => ({
    principal: { type: 'User', id: u.id },
    action: 'connect',
    resource: { type: 'Target', id: world.targets[i % world.targets.length]!.id },
    context: { networkZone: 'enterprise', deviceTrust: 'managed', onCall: true, emergency: false, vendorWindow: false, mfaAgeSeconds: 120, ticket: 'INC-1' },
  }));
  const steady: number[] = [];
  const swapping: number[] = [];
  let failures = 0;
  const parsed = parsePolicySet(text520);
  const swaps = quick ? 3 : 10;
  for (let round = 0; round < swaps * 2; round++) {
    const during = round % 2 === 1;
    const samples = during ? swapping : steady;
    for (let i = 0; i < 5_000; i++) {
      if (during && i === 2_500) state = createState(parsed, state.store, state.version + 1, 'UTC');
      const t0 = process.hrtime.bigint();
      const d = decide(state, policyRequests[i % policyRequests.length]!, now);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (d.refusal) failures++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  results.push(result('decision p99 while swapping sets (engine.decide)', percentile(swapping, 99), 'µs', 'lower', { value: percentile(steady, 99), name: 'same, no swaps' }));
  results.push(result('failed decisions during swaps', failures, 'decisions', 'lower', null, '0'));
  return results;
};

export default suite;

// One immutable evaluation state (policy set + entity index + compiled evaluator) and the decision functions over
// it. The service swaps whole states atomically; policy test files build their own state from fixtures.
import { conditionLiterals, compilePolicySet, type CompiledPolicySet } from './compiler.js';
import { createCedarEvaluator, type ParsedPolicySet } from './cedar.js';
import { allActions, createLocalTime, resolveRequest } from './context.js';
import { buildEntityStore, type EntityStore } from './entities.js';
import { explainDecision } from './explain.js';
import type { EntitySnapshot, Evaluator, EvaluationResult, Explanation, PolicyRequest } from './types.js';

export interface PolicyState {
  readonly version: number;
  readonly set: ParsedPolicySet;
  readonly store: EntityStore;
  readonly compiled: CompiledPolicySet;
  readonly descriptions: Map<string, string>;
  /** cedar-wasm over the same policies and entities, created on first use. */
  reference(): Evaluator;
  readonly localTime: (ms: number) => { hour: number; weekday: number };
}

export function createState(set: ParsedPolicySet, entities: EntitySnapshot | EntityStore, version: number, timeZone: string): PolicyState {
  const store = 'users' in entities ? buildEntityStore(entities) : entities;
  const compiled = compilePolicySet(set.policies, store, allActions);
  const literals = [...new Set(set.policies.flatMap((p) => conditionLiterals(p.json)))];
  let reference: Evaluator | undefined;
  return {
    version,
    set,
    store,
    compiled,
    descriptions: new Map(set.policies.map((p) => [p.id, p.description])),
    reference: () => (reference ??= createCedarEvaluator(set, { slice: (request) => store.slice(request, literals) })),
    localTime: createLocalTime(timeZone),
  };
}

export type EvaluatorChoice = 'compiled' | 'cedar-wasm';

/** A decision without the explanation work (hot path). Never throws for bad input: it denies with a reason. */
export interface QuickDecision {
  decision: 'allow' | 'deny';
  determining: string[];
  version: number;
  refusal?: string;
  fallbacks: string[];
}

export function decide(state: PolicyState, request: PolicyRequest, now: number, evaluator: EvaluatorChoice = 'compiled'): QuickDecision {
  const resolved = resolveRequest(request, state.store, now, state.localTime);
  if (!resolved.ok) return { decision: 'deny', determining: [], version: state.version, refusal: resolved.reason, fallbacks: [] };
  const result = evaluateSafely(state, resolved.request, evaluator);
  return { decision: result.decision, determining: result.determining, version: state.version, fallbacks: result.fallbacks, ...(result.refusal ? { refusal: result.refusal } : {}) };
}

function evaluateSafely(state: PolicyState, request: Parameters<Evaluator['evaluate']>[0], evaluator: EvaluatorChoice): EvaluationResult & { refusal?: string } {
  try {
    return (evaluator === 'compiled' ? state.compiled : state.reference()).evaluate(request);
  } catch (error) {
    // Fail closed: an evaluator fault is a denial with its reason, never an exception to the caller.
    return { decision: 'deny', determining: [], errored: [], fallbacks: [], refusal: `evaluation failed: ${(error as Error).message}` };
  }
}

export function explain(state: PolicyState, request: PolicyRequest, now: number, evaluator: EvaluatorChoice = 'compiled'): Explanation {
  const resolved = resolveRequest(request, state.store, now, state.localTime);
  if (!resolved.ok) {
    return {
      decision: 'deny',
      determining: [],
      summary: `Denied before evaluation: ${resolved.reason}.`,
      failed: [],
      descriptions: {},
      errors: [],
      fallbacks: [],
      evaluator,
      refusal: resolved.reason,
      version: state.version,
    };
  }
  const result = evaluateSafely(state, resolved.request, evaluator);
  if (result.refusal) {
    return { decision: 'deny', determining: [], summary: `Denied: ${result.refusal}.`, failed: [], descriptions: {}, errors: [], fallbacks: [], evaluator, refusal: result.refusal, version: state.version };
  }
  const explanation = explainDecision(state.compiled, resolved.request, result, state.descriptions, state.version);
  if (result.fallbacks.length) {
    explanation.summary += ` Evaluated by cedar-wasm because the compiled evaluator does not support their constructs: ${result.fallbacks.join(', ')}.`;
  }
  return { ...explanation, evaluator };
}

// Ward's compiled evaluator: Cedar's JSON policy form turned into JavaScript closures, indexed by action and by
// principal scope so a decision touches only the policies that can apply. Semantics follow Cedar exactly (errors
// skip the policy, `&&`/`||` short-circuit, Long overflow is an error); a construct it does not support makes that
// one policy fall back to cedar-wasm, and the explanation says so.
import type { PolicyJson } from './cedar.js';
import { authorizePreparsed, preparse, type ParsedPolicy } from './cedar.js';
import { EntityUid, entityKey, type EntityStore, type RuntimeRecord, type RuntimeValue } from './entities.js';
import type { CedarRequest, CedarValue, EvaluationResult, Evaluator } from './types.js';

/** Raised during evaluation: Cedar would report an error for this policy and skip it. */
export class CedarEvalError extends Error {}
/** Raised when a value leaves what the compiled evaluator represents exactly (e.g. beyond 2^53). */
class FallbackSignal extends Error {}
/** Raised at compile time for constructs handed to cedar-wasm. */
class Unsupported extends Error {}

export interface Env {
  principal: EntityUid;
  action: EntityUid;
  resource: EntityUid;
  context: RuntimeRecord;
  store: EntityStore;
}

export type Compiled = (env: Env) => RuntimeValue;
type Expr = Record<string, unknown>;

const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;

function isRecord(v: RuntimeValue): v is RuntimeRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof EntityUid);
}

function typeName(v: RuntimeValue): string {
  if (Array.isArray(v)) return 'set';
  if (v instanceof EntityUid) return 'entity';
  if (typeof v === 'object') return 'record';
  return typeof v === 'number' ? 'long' : typeof v;
}

function includes(set: RuntimeValue[], item: RuntimeValue): boolean {
  for (let i = 0; i < set.length; i++) if (cedarEquals(set[i]!, item)) return true;
  return false;
}

export function cedarEquals(a: RuntimeValue, b: RuntimeValue): boolean {
  if (a === b) return true;
  if (a instanceof EntityUid) return b instanceof EntityUid && a.key === b.key;
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return false;
    for (let i = 0; i < a.length; i++) if (!includes(b, a[i]!)) return false;
    for (let i = 0; i < b.length; i++) if (!includes(a, b[i]!)) return false;
    return true;
  }
  if (isRecord(a)) {
    if (!isRecord(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.hasOwn(b, k) || !cedarEquals(a[k]!, b[k]!)) return false;
    return true;
  }
  return false;
}

function asBool(v: RuntimeValue, op: string): boolean {
  if (typeof v !== 'boolean') throw new CedarEvalError(`${op}: expected boolean, got ${typeName(v)}`);
  return v;
}
function asLong(v: RuntimeValue, op: string): number {
  if (typeof v !== 'number') throw new CedarEvalError(`${op}: expected long, got ${typeName(v)}`);
  return v;
}
function asSet(v: RuntimeValue, op: string): RuntimeValue[] {
  if (!Array.isArray(v)) throw new CedarEvalError(`${op}: expected set, got ${typeName(v)}`);
  return v;
}
function asEntity(v: RuntimeValue, op: string): EntityUid {
  if (!(v instanceof EntityUid)) throw new CedarEvalError(`${op}: expected entity, got ${typeName(v)}`);
  return v;
}
function checked(result: number): number {
  if (Number.isSafeInteger(result)) return result;
  const big = BigInt(Math.round(result));
  if (big > LONG_MAX || big < LONG_MIN) throw new CedarEvalError('integer overflow');
  throw new FallbackSignal('integer outside the exactly representable range');
}

export function entityIn(store: EntityStore, left: EntityUid, right: EntityUid): boolean {
  if (left.key === right.key) return true;
  const stored = store.get(left.key);
  return stored !== undefined && stored.ancestors.has(right.key);
}

function getAttr(v: RuntimeValue, attr: string, store: EntityStore): RuntimeValue {
  if (v instanceof EntityUid) {
    const stored = store.get(v.key);
    if (!stored) throw new CedarEvalError(`entity ${v.key} does not exist`);
    const value = stored.attrs[attr];
    if (value === undefined) throw new CedarEvalError(`${v.key} does not have the attribute ${attr}`);
    return value;
  }
  if (isRecord(v)) {
    const value = v[attr];
    if (value === undefined || !Object.hasOwn(v, attr)) throw new CedarEvalError(`record does not have the attribute ${attr}`);
    return value;
  }
  throw new CedarEvalError(`attribute access: expected entity or record, got ${typeName(v)}`);
}

function hasAttr(v: RuntimeValue, attr: string, store: EntityStore): boolean {
  if (v instanceof EntityUid) {
    const stored = store.get(v.key);
    return stored !== undefined && Object.hasOwn(stored.attrs, attr);
  }
  if (isRecord(v)) return Object.hasOwn(v, attr);
  throw new CedarEvalError(`has: expected entity or record, got ${typeName(v)}`);
}

type PatternElem = 'Wildcard' | { Literal: string };

function likeMatcher(pattern: PatternElem[]): (s: string) => boolean {
  const source = pattern
    .map((p) => (p === 'Wildcard' ? '[\\s\\S]*' : p.Literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${source}$`, 'u');
  return (s) => regex.test(s);
}

function literal(value: CedarValue, store: EntityStore): RuntimeValue {
  if (value === null) throw new Unsupported('null literal');
  if (typeof value === 'object' && !Array.isArray(value) && '__extn' in value) throw new Unsupported('extension value');
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Unsupported('long literal beyond 2^53');
  if (Array.isArray(value)) return value.map((v) => literal(v, store));
  if (typeof value === 'object' && value !== null && !('__entity' in value)) {
    const record: RuntimeRecord = {};
    for (const [k, v] of Object.entries(value)) record[k] = literal(v as CedarValue, store);
    return record;
  }
  return store.toRuntime(value);
}

const binaryOps = new Set(['==', '!=', 'in', '<', '<=', '>', '>=', '&&', '||', '+', '-', '*', 'contains', 'containsAll', 'containsAny']);

/** Compiles one Cedar JSON expression; references to literal entities are collected for the reference slice. */
export function compileExpr(expr: Expr, store: EntityStore): Compiled {
  const keys = Object.keys(expr);
  if (keys.length !== 1) throw new Unsupported(`expression with keys ${keys.join(',')}`);
  const op = keys[0]!;
  const body = expr[op] as Record<string, unknown>;
  const sub = (e: unknown) => compileExpr(e as Expr, store);

  switch (op) {
    case 'Value': {
      const value = literal(body as unknown as CedarValue, store);
      return () => value;
    }
    case 'Var': {
      const name = body as unknown as string;
      if (name === 'principal') return (env) => env.principal;
      if (name === 'action') return (env) => env.action;
      if (name === 'resource') return (env) => env.resource;
      if (name === 'context') return (env) => env.context;
      throw new Unsupported(`variable ${name}`);
    }
    case 'Slot':
      throw new Unsupported('template slot');
    case '!': {
      const arg = sub(body.arg);
      return (env) => !asBool(arg(env), '!');
    }
    case 'neg': {
      const arg = sub(body.arg);
      return (env) => checked(-asLong(arg(env), 'negation'));
    }
    case 'isEmpty': {
      const arg = sub(body.arg);
      return (env) => asSet(arg(env), 'isEmpty').length === 0;
    }
    case '.': {
      const left = sub(body.left);
      const attr = body.attr as string;
      return (env) => getAttr(left(env), attr, env.store);
    }
    case 'has': {
      const left = sub(body.left);
      const attrs = (Array.isArray(body.attr) ? body.attr : [body.attr]) as string[];
      if (attrs.length === 1) {
        const attr = attrs[0]!;
        return (env) => hasAttr(left(env), attr, env.store);
      }
      return (env) => {
        let value = left(env);
        for (const attr of attrs) {
          if (!hasAttr(value, attr, env.store)) return false;
          value = getAttr(value, attr, env.store);
        }
        return true;
      };
    }
    case 'like': {
      const left = sub(body.left);
      const match = likeMatcher(body.pattern as PatternElem[]);
      return (env) => {
        const v = left(env);
        if (typeof v !== 'string') throw new CedarEvalError(`like: expected string, got ${typeName(v)}`);
        return match(v);
      };
    }
    case 'is': {
      const left = sub(body.left);
      const type = body.entity_type as string;
      const inner = body.in === undefined ? undefined : sub(body.in);
      return (env) => {
        const v = asEntity(left(env), 'is');
        if (v.type !== type) return false;
        return inner ? inOp(env, v, inner(env)) : true;
      };
    }
    case 'if-then-else': {
      const cond = sub(body.if);
      const then = sub(body.then);
      const otherwise = sub(body.else);
      return (env) => (asBool(cond(env), 'if') ? then(env) : otherwise(env));
    }
    case 'Set': {
      const items = (body as unknown as unknown[]).map(sub);
      // Plain loops, not Array callbacks: evaluation errors are exceptions, and V8 (Node 20) can crash when one
      // unwinds through an inlined Array builtin during deoptimisation.
      return (env) => {
        const out: RuntimeValue[] = [];
        for (let i = 0; i < items.length; i++) out.push(items[i]!(env));
        return out;
      };
    }
    case 'Record': {
      const fields = Object.entries(body).map(([k, v]) => [k, sub(v)] as const);
      return (env) => {
        const record: RuntimeRecord = {};
        for (const [k, f] of fields) record[k] = f(env);
        return record;
      };
    }
    default:
      break;
  }
  if (!binaryOps.has(op)) throw new Unsupported(op === 'getTag' || op === 'hasTag' ? `entity tags (${op})` : `function ${op}`);
  const left = sub(body.left);
  const right = sub(body.right);
  switch (op) {
    case '&&':
      return (env) => asBool(left(env), '&&') && asBool(right(env), '&&');
    case '||':
      return (env) => asBool(left(env), '||') || asBool(right(env), '||');
    case '==':
      return (env) => cedarEquals(left(env), right(env));
    case '!=':
      return (env) => !cedarEquals(left(env), right(env));
    case 'in':
      return (env) => inOp(env, asEntity(left(env), 'in'), right(env));
    case '<':
      return (env) => asLong(left(env), '<') < asLong(right(env), '<');
    case '<=':
      return (env) => asLong(left(env), '<=') <= asLong(right(env), '<=');
    case '>':
      return (env) => asLong(left(env), '>') > asLong(right(env), '>');
    case '>=':
      return (env) => asLong(left(env), '>=') >= asLong(right(env), '>=');
    case '+':
      return (env) => checked(asLong(left(env), '+') + asLong(right(env), '+'));
    case '-':
      return (env) => checked(asLong(left(env), '-') - asLong(right(env), '-'));
    case '*':
      return (env) => checked(asLong(left(env), '*') * asLong(right(env), '*'));
    case 'contains':
      return (env) => {
        const set = asSet(left(env), 'contains');
        return includes(set, right(env));
      };
    case 'containsAll':
      return (env) => {
        const set = asSet(left(env), 'containsAll');
        const wanted = asSet(right(env), 'containsAll');
        for (let i = 0; i < wanted.length; i++) if (!includes(set, wanted[i]!)) return false;
        return true;
      };
    case 'containsAny':
      return (env) => {
        const set = asSet(left(env), 'containsAny');
        const wanted = asSet(right(env), 'containsAny');
        for (let i = 0; i < wanted.length; i++) if (includes(set, wanted[i]!)) return true;
        return false;
      };
  }
  throw new Unsupported(op);
}

function inOp(env: Env, left: EntityUid, right: RuntimeValue): boolean {
  if (right instanceof EntityUid) return entityIn(env.store, left, right);
  if (Array.isArray(right)) {
    for (let i = 0; i < right.length; i++) {
      const r = right[i]!;
      if (!(r instanceof EntityUid)) throw new CedarEvalError(`in: expected a set of entities, found ${typeName(r)}`);
    }
    for (let i = 0; i < right.length; i++) if (entityIn(env.store, left, right[i] as EntityUid)) return true;
    return false;
  }
  throw new CedarEvalError(`in: expected entity or set of entities, got ${typeName(right)}`);
}

type ScopeJson = { op: string; entity?: { type: string; id: string } | { __entity: { type: string; id: string } }; entity_type?: string; in?: { entity?: unknown; slot?: string }; slot?: string };

function uidOf(json: unknown): { type: string; id: string } {
  const j = json as { __entity?: { type: string; id: string }; type?: string; id?: string };
  return j.__entity ?? { type: j.type!, id: j.id! };
}

/** Runtime check for the scope part not covered by the index (for principal) or at all (resource). */
function compileScope(scope: ScopeJson, store: EntityStore): ((env: Env, uid: EntityUid) => boolean) | null {
  switch (scope.op) {
    case 'All':
      return null;
    case '==': {
      if (scope.slot) throw new Unsupported('template slot');
      const target = uidOf(scope.entity);
      const key = store.uid(target.type, target.id).key;
      return (_env, uid) => uid.key === key;
    }
    case 'in': {
      if (scope.slot) throw new Unsupported('template slot');
      const target = uidOf(scope.entity);
      const right = store.uid(target.type, target.id);
      return (env, uid) => entityIn(env.store, uid, right);
    }
    case 'is': {
      const type = scope.entity_type!;
      if (scope.in?.slot) throw new Unsupported('template slot');
      if (!scope.in) return (_env, uid) => uid.type === type;
      const target = uidOf(scope.in.entity);
      const right = store.uid(target.type, target.id);
      return (env, uid) => uid.type === type && entityIn(env.store, uid, right);
    }
  }
  throw new Unsupported(`scope ${scope.op}`);
}

export interface CompiledPolicy {
  id: string;
  effect: 'permit' | 'forbid';
  /** Residual principal scope (the index covers == and in). */
  principal: ((env: Env, uid: EntityUid) => boolean) | null;
  resource: ((env: Env, uid: EntityUid) => boolean) | null;
  /** Each clause: when → must be true, unless → must be false. Null when the policy falls back to cedar-wasm. */
  clauses: { kind: 'when' | 'unless'; test: Compiled; body: Expr }[] | null;
  /** Why this policy falls back, when it does. */
  fallback: string | null;
  /** Entity literals used in conditions (the reference slice must include them). */
  literals: string[];
  json: PolicyJson;
}

interface ActionIndex {
  eq: Map<string, CompiledPolicy[]>;
  in: Map<string, CompiledPolicy[]>;
  any: CompiledPolicy[];
}

export interface CompiledPolicySet extends Evaluator {
  readonly policies: CompiledPolicy[];
  readonly fallbacks: string[];
  /** Candidate policies for a request (scope matched), for explanations. */
  candidates(request: CedarRequest): { policy: CompiledPolicy; env: Env }[];
  env(request: CedarRequest): Env;
}

/** Action hierarchy: action id → its ancestors (groups). */
export type ActionHierarchy = Record<string, string[]>;

export function compilePolicySet(
  policies: ParsedPolicy[],
  store: EntityStore,
  actions: { all: string[]; parents: ActionHierarchy },
): CompiledPolicySet {
  const compiled: CompiledPolicy[] = policies.map((p) => compilePolicy(p, store));
  const fallbackPolicies = compiled.filter((c) => c.fallback !== null);
  const textById = new Map(policies.map((p) => [p.id, p.text]));
  const fallbackSet = new Map(fallbackPolicies.map((f) => [f.id, preparse({ [f.id]: textById.get(f.id)! })]));

  const index = new Map<string, ActionIndex>();
  for (const action of actions.all) index.set(action, { eq: new Map(), in: new Map(), any: [] });
  const push = (map: Map<string, CompiledPolicy[]>, key: string, p: CompiledPolicy) => {
    const list = map.get(key);
    if (list) list.push(p);
    else map.set(key, [p]);
  };
  for (const p of compiled) {
    const scope = p.json.action as { op: string; entity?: unknown; entities?: unknown[] };
    const applies = (action: string): boolean => {
      if (scope.op === 'All') return true;
      const self = [action, ...(actions.parents[action] ?? [])];
      if (scope.op === '==') return uidOf(scope.entity).id === action;
      const targets = scope.entities ? scope.entities.map(uidOf) : [uidOf(scope.entity)];
      return targets.some((t) => t.type === 'Action' && self.includes(t.id));
    };
    const principal = p.json.principal as ScopeJson;
    for (const action of actions.all) {
      if (!applies(action)) continue;
      const slot = index.get(action)!;
      if (principal.op === '==' && !principal.slot) push(slot.eq, keyFromScope(principal.entity, store), p);
      else if (principal.op === 'in' && !principal.slot) push(slot.in, keyFromScope(principal.entity, store), p);
      else slot.any.push(p);
    }
  }

  const actionUids = new Map(actions.all.map((a) => [a, store.uid('Action', a)]));
  const envOf = (request: CedarRequest): Env => ({
    principal: store.uid(request.principal.type, request.principal.id),
    action: actionUids.get(request.action) ?? store.uid('Action', request.action),
    resource: store.uid(request.resource.type, request.resource.id),
    context: contextRecord(request.context, store),
    store,
  });

  const candidatesOf = (env: Env, action: string): CompiledPolicy[] => {
    const slot = index.get(action);
    if (!slot) throw new CedarEvalError(`unknown action ${action}`);
    const out: CompiledPolicy[] = [];
    const add = (list: CompiledPolicy[] | undefined) => {
      if (!list) return;
      for (let i = 0; i < list.length; i++) {
        const p = list[i]!;
        if ((p.principal === null || p.principal(env, env.principal)) && (p.resource === null || p.resource(env, env.resource))) out.push(p);
      }
    };
    add(slot.eq.get(env.principal.key));
    add(slot.in.get(env.principal.key));
    const stored = store.get(env.principal.key);
    if (stored) for (const a of stored.ancestors) add(slot.in.get(a));
    add(slot.any);
    return out;
  };

  const fallbackResult = (p: CompiledPolicy, request: CedarRequest): 'satisfied' | 'unsatisfied' | 'error' => {
    let setId = fallbackSet.get(p.id);
    // A runtime fallback (a value beyond 2^53) may hit a policy that compiled; register it on first use.
    if (setId === undefined) fallbackSet.set(p.id, (setId = preparse({ [p.id]: textById.get(p.id)! })));
    const response = authorizePreparsed(setId, request, store.slice(request, p.literals));
    if (response.diagnostics.errors.length) return 'error';
    return response.diagnostics.reason.includes(p.id) ? 'satisfied' : 'unsatisfied';
  };

  const evaluatePolicy = (p: CompiledPolicy, env: Env, request: CedarRequest, fallbacks: string[]): 'satisfied' | 'unsatisfied' | 'error' => {
    if (p.clauses === null) {
      fallbacks.push(p.id);
      return fallbackResult(p, request);
    }
    try {
      for (const clause of p.clauses) {
        const value = clause.test(env);
        if (typeof value !== 'boolean') throw new CedarEvalError('condition is not a boolean');
        if (value !== (clause.kind === 'when')) return 'unsatisfied';
      }
      return 'satisfied';
    } catch (error) {
      if (error instanceof CedarEvalError) return 'error';
      if (error instanceof FallbackSignal) {
        fallbacks.push(p.id);
        return fallbackResult(p, request);
      }
      throw error;
    }
  };

  return {
    name: 'compiled',
    policies: compiled,
    fallbacks: fallbackPolicies.map((p) => p.id),
    env: envOf,
    candidates(request) {
      const env = envOf(request);
      return candidatesOf(env, request.action).map((policy) => ({ policy, env }));
    },
    evaluate(request: CedarRequest): EvaluationResult {
      const env = envOf(request);
      const candidates = candidatesOf(env, request.action);
      const permits: string[] = [];
      const forbids: string[] = [];
      const errored: string[] = [];
      const fallbacks: string[] = [];
      for (const p of candidates) {
        const outcome = evaluatePolicy(p, env, request, fallbacks);
        if (outcome === 'satisfied') (p.effect === 'forbid' ? forbids : permits).push(p.id);
        else if (outcome === 'error') errored.push(p.id);
      }
      if (forbids.length) return { decision: 'deny', determining: forbids, errored, fallbacks };
      if (permits.length) return { decision: 'allow', determining: permits, errored, fallbacks };
      return { decision: 'deny', determining: [], errored, fallbacks };
    },
  };
}

/** Context values are mostly scalars: use the record as is unless it holds entities, sets or records. */
function contextRecord(context: Record<string, CedarValue>, store: EntityStore): RuntimeRecord {
  for (const key in context) {
    if (typeof context[key] === 'object') return store.toRuntime(context as CedarValue) as RuntimeRecord;
  }
  return context as RuntimeRecord;
}

function keyFromScope(entity: unknown, store: EntityStore): string {
  const uid = uidOf(entity);
  return store.uid(uid.type, uid.id).key;
}

/**
 * Entity literals whose data a policy's conditions read (attribute access, `has`, left of `in`/`is`): the
 * reference evaluator's slice must include them. Literals only compared or used on the right of `in` need no data.
 */
export function conditionLiterals(json: PolicyJson): string[] {
  const found = new Set<string>();
  const collect = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (typeof v === 'object' && v !== null) {
      const e = (v as { __entity?: { type: string; id: string } }).__entity;
      if (e && typeof e === 'object') found.add(entityKey(e.type, e.id));
      else Object.values(v).forEach(collect);
    }
  };
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    for (const [op, body] of Object.entries(v)) {
      if (['.', 'has', 'in', 'is', 'getTag', 'hasTag'].includes(op) && typeof body === 'object' && body !== null) {
        collect((body as { left?: unknown }).left);
      }
      walk(body);
    }
  };
  walk(json.conditions.map((c) => c.body));
  return [...found];
}

function compilePolicy(p: ParsedPolicy, store: EntityStore): CompiledPolicy {
  const literals = conditionLiterals(p.json);
  const base = { id: p.id, effect: p.effect, json: p.json };
  let principal: CompiledPolicy['principal'] = null;
  let resource: CompiledPolicy['resource'] = null;
  try {
    const principalScope = p.json.principal as ScopeJson;
    // == and in are answered by the index; only `is` needs a runtime check.
    principal = principalScope.op === 'is' ? compileScope(principalScope, store) : principalScope.slot ? fail('template slot') : null;
    resource = compileScope(p.json.resource as ScopeJson, store);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    return { ...base, principal: null, resource: null, clauses: null, fallback: error.message, literals };
  }
  try {
    const clauses = p.json.conditions.map((c) => ({ kind: c.kind, test: compileExpr(c.body as Expr, store), body: c.body as Expr }));
    return { ...base, principal, resource, clauses, fallback: null, literals };
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    return { ...base, principal, resource, clauses: null, fallback: error.message, literals };
  }
}

function fail(message: string): never {
  throw new Unsupported(message);
}

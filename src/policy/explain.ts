// Why a decision came out the way it did, in words an administrator understands: the determining policies, and
// for a denial the conditions that failed (with the values the request actually had).
import type { CompiledPolicy, CompiledPolicySet, Env } from './compiler.js';
import { CedarEvalError, compileExpr } from './compiler.js';
import { EntityUid, type RuntimeValue } from './entities.js';
import type { CedarRequest, EvaluationResult, Explanation, FailedCondition } from './types.js';

type Expr = Record<string, unknown>;

const contextLabels: Record<string, string> = {
  time: 'the time',
  hour: 'the hour of day',
  weekday: 'the day of the week',
  shift: 'the shift',
  afterHours: 'it is after hours',
  networkZone: 'the network zone',
  deviceTrust: 'the device trust',
  onCall: 'the user is on call',
  emergency: 'an emergency is declared',
  mfaAgeSeconds: 'the age of the MFA proof in seconds',
  riskTier: 'the risk tier',
  vendorWindow: 'a vendor maintenance window is open',
  ticket: 'a ticket',
  purposeOfUse: 'the purpose of use',
  command: 'the command',
  requester: 'the requester',
};

const comparisons: Record<string, string> = {
  '==': 'is',
  '!=': 'is not',
  '<': 'is below',
  '<=': 'is at most',
  '>': 'is above',
  '>=': 'is at least',
};

function entityWords(type: string, id: string): string {
  return `${type.toLowerCase()} "${id}"`;
}

function valueWords(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof EntityUid) return entityWords(value.type, value.id);
  if (Array.isArray(value)) return `[${value.map(valueWords).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const e = (value as { __entity?: { type: string; id: string } }).__entity;
    if (e) return entityWords(e.type, e.id);
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${valueWords(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** A Cedar expression read aloud. */
export function words(expr: Expr): string {
  const [op] = Object.keys(expr);
  const body = expr[op!] as Record<string, unknown>;
  const sub = (e: unknown) => words(e as Expr);
  switch (op) {
    case 'Value':
      return valueWords(body);
    case 'Var':
      return ({ principal: 'the user', resource: 'the resource', action: 'the action', context: 'the request' } as Record<string, string>)[
        body as unknown as string
      ]!;
    case '.': {
      const left = body.left as Expr;
      const attr = body.attr as string;
      if ((left as { Var?: string }).Var === 'context') return contextLabels[attr] ?? `the request's ${attr}`;
      return `${sub(left)}'s ${attr}`;
    }
    case 'has': {
      const left = body.left as Expr;
      const attrs = [body.attr].flat() as string[];
      if ((left as { Var?: string }).Var === 'context') return `${contextLabels[attrs[0]!] ?? attrs[0]} is given`;
      return `${sub(left)} has a ${attrs.join('.')}`;
    }
    case '!':
      return `not (${sub(body.arg)})`;
    case 'neg':
      return `minus ${sub(body.arg)}`;
    case '&&':
      return `${sub(body.left)} and ${sub(body.right)}`;
    case '||':
      return `either ${sub(body.left)} or ${sub(body.right)}`;
    case 'in':
      return `${sub(body.left)} is in ${sub(body.right)}`;
    case 'is':
      return `${sub(body.left)} is a ${String(body.entity_type)}${body.in ? ` in ${sub(body.in)}` : ''}`;
    case 'like':
      return `${sub(body.left)} matches "${(body.pattern as ('Wildcard' | { Literal: string })[])
        .map((p) => (p === 'Wildcard' ? '*' : p.Literal))
        .join('')}"`;
    case 'contains':
      return `${sub(body.left)} contains ${sub(body.right)}`;
    case 'containsAll':
      return `${sub(body.left)} contains all of ${sub(body.right)}`;
    case 'containsAny':
      return `${sub(body.left)} contains any of ${sub(body.right)}`;
    case 'isEmpty':
      return `${sub(body.arg)} is empty`;
    case 'if-then-else':
      return `if ${sub(body.if)} then ${sub(body.then)}, otherwise ${sub(body.else)}`;
    case 'Set':
      return `[${(body as unknown as unknown[]).map(sub).join(', ')}]`;
    case 'Record':
      return `{${Object.entries(body)
        .map(([k, v]) => `${k}: ${sub(v)}`)
        .join(', ')}}`;
    case '+':
    case '-':
    case '*':
      return `${sub(body.left)} ${op} ${sub(body.right)}`;
    default:
      if (op && comparisons[op]) return `${sub(body.left)} ${comparisons[op]} ${sub(body.right)}`;
      return `${op}(${Object.values(body ?? {})
        .flat()
        .map((e) => sub(e))
        .join(', ')})`;
  }
}

function conjuncts(expr: Expr): Expr[] {
  const and = expr['&&'] as { left: Expr; right: Expr } | undefined;
  return and ? [...conjuncts(and.left), ...conjuncts(and.right)] : [expr];
}

function evaluate(expr: Expr, env: Env): { value?: RuntimeValue; error?: string } {
  try {
    return { value: compileExpr(expr, env.store)(env) };
  } catch (error) {
    return { error: error instanceof CedarEvalError ? error.message : 'cannot be evaluated here' };
  }
}

/** The actual value of the left side of a comparison, for "(it is 3600)". */
function actual(expr: Expr, env: Env): string {
  const [op] = Object.keys(expr);
  const body = expr[op!] as { left?: Expr };
  if (!op || !(op in comparisons) || !body.left) return '';
  const result = evaluate(body.left, env);
  return result.error ? '' : ` (it is ${valueWords(result.value)})`;
}

/** Which clause of a permit kept it from applying, in words. */
function failedCondition(policy: CompiledPolicy, env: Env): string {
  if (policy.clauses === null) return 'evaluated by cedar-wasm (unsupported construct); its conditions did not hold';
  for (const clause of policy.clauses) {
    if (clause.kind === 'when') {
      for (const part of conjuncts(clause.body)) {
        const result = evaluate(part, env);
        if (result.error) return `could not check that ${words(part)}: ${result.error}`;
        if (result.value !== true) return `requires that ${words(part)}${actual(part, env)}`;
      }
    } else {
      const result = evaluate(clause.body, env);
      if (result.error) return `could not check the exception ${words(clause.body)}: ${result.error}`;
      if (result.value !== false) return `does not apply because ${words(clause.body)}`;
    }
  }
  return 'its conditions did not hold';
}

/** What made a forbid apply, in words. */
function heldCondition(policy: CompiledPolicy): string {
  if (!policy.clauses || policy.clauses.length === 0) return 'it applies to every such request';
  return policy.clauses.map((c) => (c.kind === 'when' ? words(c.body) : `not (${words(c.body)})`)).join(', and ');
}

export function explainDecision(
  compiled: CompiledPolicySet,
  request: CedarRequest,
  result: EvaluationResult,
  descriptions: Map<string, string>,
  version: number,
): Explanation {
  const byId = new Map(compiled.policies.map((p) => [p.id, p]));
  const described = Object.fromEntries(result.determining.map((id) => [id, descriptions.get(id) ?? '']));
  const failed: FailedCondition[] = [];
  const who = `user "${request.principal.id}"`;
  const what = `${request.action} on ${entityWords(request.resource.type, request.resource.id)}`;
  let summary: string;
  if (result.decision === 'allow') {
    summary = `Allowed: ${result.determining.map((id) => `${id} (${descriptions.get(id) ?? ''})`).join('; ')}.`;
  } else if (result.determining.length > 0) {
    summary = `Denied by ${result.determining
      .map((id) => `${id}: ${descriptions.get(id) ?? ''} It applied because ${heldCondition(byId.get(id)!)}.`)
      .join(' ')}`;
  } else {
    const candidates = compiled.candidates(request).filter((c) => c.policy.effect === 'permit');
    for (const { policy, env } of candidates) {
      failed.push({ policyId: policy.id, description: descriptions.get(policy.id) ?? '', condition: failedCondition(policy, env) });
    }
    summary = candidates.length
      ? `Denied: no policy permits ${what} for ${who}. ${failed.map((f) => `${f.policyId} ${f.condition}.`).join(' ')}`
      : `Denied: no policy permits ${what} for ${who}; none applies to this user, action and resource.`;
  }
  const errors = result.errored.map((id) => ({ policyId: id, message: 'the policy raised an error for this request and was skipped' }));
  return {
    decision: result.decision,
    determining: result.determining,
    summary,
    failed,
    descriptions: described,
    errors,
    fallbacks: result.fallbacks,
    evaluator: 'compiled',
    version,
  };
}

// The boundary to cedar-wasm: parsing and validating policy set text against Ward's schema (with Cedar's own
// messages and line numbers), turning policies into Cedar's JSON form, and the reference evaluator.
import { setFlagsFromString } from 'node:v8';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { DetailedError, EntityJson, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import { WardError } from '../platform/errors.js';
import { wardSchemaText } from './schema.js';
import type { CedarRequest, EvaluationResult, Evaluator } from './types.js';

export type { EntityJson, PolicyJson };

// V8 in Node 20 aborts the process ("unreachable code" in Deoptimizer::DoComputeBuiltinContinuation) when an
// optimised frame with an inlined JS-to-Wasm call is lazily deoptimised while cedar-wasm runs. Measured here:
// reproducible within seconds in the differential test, gone with inlining of those calls switched off. The flag
// only affects the (already slow) cedar-wasm call boundary.
setFlagsFromString('--no-turbo-inline-js-wasm-calls');

export interface ParsedPolicy {
  /** Stable id from the `@id("…")` annotation. */
  id: string;
  description: string;
  effect: 'permit' | 'forbid';
  text: string;
  json: PolicyJson;
  /** 1-based line of the policy in the set text. */
  line: number;
}

export interface ParsedPolicySet {
  text: string;
  policies: ParsedPolicy[];
}

export interface PolicyProblem {
  message: string;
  line: number | null;
  policyId: string | null;
}

export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function describe(error: DetailedError, text: string, policyId: string | null): PolicyProblem {
  const start = error.sourceLocations?.[0]?.start;
  const label = error.sourceLocations?.[0]?.label;
  const parts = [error.message, label ? `(${label})` : '', error.help ? `help: ${error.help}` : ''].filter(Boolean);
  return { message: parts.join(' '), line: start === undefined ? null : lineOf(text, start), policyId };
}

function invalid(problems: PolicyProblem[]): WardError {
  const first = problems[0];
  const where = first?.line ? `line ${first.line}: ` : '';
  return new WardError('POLICY_INVALID', `${where}${first?.message ?? 'the policy set is invalid'}`, {
    problems: problems.map((p) => ({ message: p.message, line: p.line, policyId: p.policyId })),
  });
}

function locateId(text: string, id: string): number {
  const escaped = JSON.stringify(id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`@id\\s*\\(\\s*${escaped}\\s*\\)`).exec(text);
  return match ? match.index : -1;
}

/** Parses and validates a policy set; throws POLICY_INVALID with Cedar's message and the line. */
export function parsePolicySet(text: string, options: { validate?: boolean } = {}): ParsedPolicySet {
  const parsed = cedar.checkParsePolicySet({ staticPolicies: text });
  if (parsed.type === 'failure') throw invalid(parsed.errors.map((e) => describe(e, text, null)));
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') throw invalid(parts.errors.map((e) => describe(e, text, null)));
  if (parts.policy_templates.length > 0) {
    throw invalid([{ message: 'policy templates are not supported; write static policies', line: null, policyId: null }]);
  }
  const policies: ParsedPolicy[] = [];
  const seen = new Set<string>();
  const problems: PolicyProblem[] = [];
  for (const [index, part] of parts.policies.entries()) {
    const answer = cedar.policyToJson(part);
    if (answer.type === 'failure') {
      problems.push(...answer.errors.map((e) => describe(e, part, null)));
      continue;
    }
    const json = answer.json;
    const id = json.annotations?.id;
    const at = id === undefined ? text.indexOf(part) : locateId(text, id);
    const line = at >= 0 ? lineOf(text, at) : 0;
    if (!id) {
      problems.push({ message: `policy number ${index + 1} has no @id("…") annotation`, line, policyId: null });
      continue;
    }
    if (seen.has(id)) {
      problems.push({ message: `duplicate policy id "${id}"`, line, policyId: id });
      continue;
    }
    seen.add(id);
    policies.push({ id, description: json.annotations?.description ?? '', effect: json.effect, text: part, json, line });
  }
  // cedar-wasm numbers policies (policy0, policy1, …) in text order; parts may come back in another order.
  policies.sort((a, b) => a.line - b.line);
  if (problems.length) throw invalid(problems);
  if (options.validate !== false) {
    const answer = cedar.validate({ schema: wardSchemaText, policies: { staticPolicies: text } });
    if (answer.type === 'failure') throw invalid(answer.errors.map((e) => describe(e, text, null)));
    if (answer.validationErrors.length) {
      throw invalid(
        answer.validationErrors.map((v) => {
          const position = /^policy(\d+)$/.exec(v.policyId);
          const id = position ? (policies[Number(position[1])]?.id ?? v.policyId) : v.policyId;
          return describe({ ...v.error, message: v.error.message.replaceAll(`\`${v.policyId}\``, `\`${id}\``) }, text, id);
        }),
      );
    }
  }
  return { text, policies };
}

/** Resolves the entities a request can reach; the reference evaluator needs them as Cedar JSON. */
export interface EntitySlicer {
  slice(request: CedarRequest): EntityJson[];
}

let nextSetId = 0;

/** Registers policies in cedar-wasm's per-thread cache and returns the handle. */
export function preparse(policies: Record<string, string>): string {
  const id = `ward-${++nextSetId}`;
  const answer = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (answer.type === 'failure') throw invalid(answer.errors.map((e) => describe(e, '', null)));
  return id;
}

// Requests go without the schema: the slice carries the action entities (and so the action hierarchy), and
// skipping schema-based entity parsing makes each call markedly cheaper. Validation already happened at apply.
export function authorizePreparsed(setId: string, request: CedarRequest, entities: EntityJson[]) {
  const answer = cedar.statefulIsAuthorized({
    principal: request.principal,
    action: { type: 'Action', id: request.action },
    resource: request.resource,
    context: request.context as cedar.Context,
    preparsedPolicySetId: setId,
    entities,
  });
  if (answer.type === 'failure') {
    throw new WardError('INTERNAL', `cedar-wasm refused the request: ${answer.errors.map((e) => e.message).join('; ')}`);
  }
  return answer.response;
}

/** The reference evaluator: every decision through cedar-wasm. */
export function createCedarEvaluator(set: ParsedPolicySet, slicer: EntitySlicer): Evaluator {
  const setId = preparse(Object.fromEntries(set.policies.map((p) => [p.id, p.text])));
  return {
    name: 'cedar-wasm',
    evaluate(request: CedarRequest): EvaluationResult {
      const response = authorizePreparsed(setId, request, slicer.slice(request));
      return {
        decision: response.decision,
        determining: response.diagnostics.reason,
        errored: response.diagnostics.errors.map((e) => e.policyId),
        fallbacks: [],
      };
    },
  };
}

export const cedarVersion = (): string => cedar.getCedarVersion();

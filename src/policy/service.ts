// The policy engine: owns the active policy set and the cached entity index, answers decisions in-process from an
// immutable state that is swapped atomically (apply, entity change), and keeps every applied set in the store.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { AuditActor, AuditLog, PurposeOfUse } from '../audit/types.js';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/database/index.js';
import { WardError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { parsePolicySet, type ParsedPolicySet } from './cedar.js';
import { createState, decide, explain, type EvaluatorChoice, type PolicyState, type QuickDecision } from './engine.js';
import { createPolicyStore, type StoredPolicySet } from './store.js';
import { runPolicyTests, type PolicyTestFile, type PolicyTestReport } from './testfile.js';
import type { EntitySnapshot, EntitySource, Explanation, PolicyRequest } from './types.js';

export interface PolicyEngineDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  clock: Clock;
  entities: EntitySource;
  logger: Logger;
  /** IANA zone for hour, shift and after-hours (the hospital's local time). Default UTC. */
  timeZone?: string;
  /** Policy text applied as version 1 when the store is empty. Default: the hospital pack. */
  defaultPolicies?: string;
}

export interface PolicySummary {
  id: string;
  description: string;
  effect: 'permit' | 'forbid';
  line: number;
}

export interface PolicyDiff {
  fromVersion: number;
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: number;
}

export interface AuditedDecisionInput {
  actor: AuditActor;
  reasonCode?: PurposeOfUse;
  ticket?: string;
  sessionId?: string;
}

export type PolicySetMeta = Omit<StoredPolicySet, 'text'>;

export interface PolicyEngine {
  /** Loads entities and the active set (applying the default pack to an empty store) and follows entity changes. */
  start(): Promise<void>;
  stop(): void;
  readonly version: number;
  /** The hot path: synchronous, no I/O. Bad input is a denial with a reason, never an exception. */
  decide(request: PolicyRequest): QuickDecision;
  /** A decision with the determining policies and, for a denial, the failed conditions in words. */
  explain(request: PolicyRequest, options?: { evaluator?: EvaluatorChoice }): Explanation;
  /** A decision recorded in the audit trail with its policy ids (denials included). */
  authorize(request: PolicyRequest, audit: AuditedDecisionInput): Promise<QuickDecision & { summary: string }>;
  /** Parses and validates against the schema; throws POLICY_INVALID with Cedar's message and line. */
  validate(text: string): { policies: PolicySummary[] };
  /** Validates, stores as the next version and swaps it in; an invalid set changes nothing. */
  apply(text: string, options: { actor: AuditActor; comment?: string; expectedVersion?: number }): Promise<PolicySetMeta>;
  diff(text: string): PolicyDiff;
  history(limit?: number): Promise<PolicySetMeta[]>;
  active(): { version: number; text: string; policies: PolicySummary[] };
  getVersion(version: number): Promise<StoredPolicySet>;
  /** Runs a policy test file against the given text, or the active set. */
  test(file: PolicyTestFile, text?: string): PolicyTestReport;
  /** Re-reads the active set from the store (another node applied one). */
  reload(): Promise<void>;
  /** Re-reads entities now (also done on every change signal). */
  refreshEntities(): Promise<void>;
  /** The current evaluation state (benchmarks, differential checks). */
  state(): PolicyState;
}

export function hospitalPackText(): string {
  return readFileSync(new URL('./pack/hospital.cedar', import.meta.url), 'utf8');
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function summaries(set: ParsedPolicySet): PolicySummary[] {
  return set.policies.map((p) => ({ id: p.id, description: p.description, effect: p.effect, line: p.line }));
}

const actorKindOf = { human: 'user', service: 'service', vendor: 'vendor' } as const;
export { actorKindOf };

export function createPolicyEngine(deps: PolicyEngineDeps): PolicyEngine {
  const store = createPolicyStore(deps.db);
  const timeZone = deps.timeZone ?? 'UTC';
  let current: PolicyState | undefined;
  let unsubscribe: (() => void) | undefined;
  let refreshing: Promise<void> | undefined;
  let refreshAgain = false;

  const require = (): PolicyState => {
    if (!current) throw new WardError('SERVICE_UNAVAILABLE', 'the policy engine has not started');
    return current;
  };

  async function loadSnapshot(): Promise<EntitySnapshot> {
    return deps.entities.snapshot();
  }

  async function refreshEntities(): Promise<void> {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        refreshAgain = false;
        try {
          const snapshot = await loadSnapshot();
          const state = require();
          // One assignment: decisions already running finish on the old state, the next one sees the new.
          current = createState(state.set, snapshot, state.version, timeZone);
        } catch (error) {
          deps.logger.error({ err: error }, 'policy entity refresh failed; decisions keep using the previous entities');
        }
      } while (refreshAgain);
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  async function loadActive(snapshot?: EntitySnapshot): Promise<void> {
    let active = await store.active();
    if (!active) {
      const text = deps.defaultPolicies ?? hospitalPackText();
      const set = parsePolicySet(text);
      try {
        active = await store.append({
          text,
          policyIds: set.policies.map((p) => p.id),
          digest: digestOf(text),
          comment: 'default hospital policy pack',
          createdBy: null,
          createdAt: deps.clock.now(),
          expectedVersion: 0,
        });
        await deps.audit.append({
          action: 'policy.set.applied',
          outcome: 'success',
          actor: { kind: 'system', name: 'ward' },
          target: { type: 'policy-set', id: active.id, name: `version ${active.version}` },
          policyIds: active.policyIds,
          details: { version: active.version, digest: active.digest, policies: active.policyIds.length },
        });
      } catch (error) {
        // Another node seeded the store first: use theirs.
        if (!(error instanceof WardError && error.code === 'CONFLICT')) throw error;
        active = (await store.active())!;
      }
    }
    const set = parsePolicySet(active.text);
    const entities = snapshot ?? current?.store ?? (await loadSnapshot());
    current = createState(set, entities, active.version, timeZone);
  }

  return {
    async start() {
      const snapshot = await loadSnapshot();
      await loadActive(snapshot);
      unsubscribe = deps.entities.onChange(() => {
        void refreshEntities();
      });
      deps.logger.info({ version: current?.version, policies: current?.set.policies.length }, 'policy engine started');
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
    get version() {
      return current?.version ?? 0;
    },
    decide(request) {
      if (!current) return { decision: 'deny', determining: [], version: 0, refusal: 'the policy engine has not started', fallbacks: [] };
      return decide(current, request, deps.clock.now());
    },
    explain(request, options = {}) {
      return explain(require(), request, deps.clock.now(), options.evaluator ?? 'compiled');
    },
    async authorize(request, input) {
      const explanation = current
        ? explain(current, request, deps.clock.now())
        : { decision: 'deny' as const, determining: [], summary: 'Denied: the policy engine has not started.', refusal: 'the policy engine has not started', fallbacks: [], version: 0 };
      const resource = request.resource;
      await deps.audit.append({
        action: 'policy.decision',
        outcome: explanation.decision === 'allow' ? 'success' : 'denied',
        actor: input.actor,
        target: { type: resource?.type?.toLowerCase() ?? 'unknown', id: resource?.id },
        reasonCode: input.reasonCode,
        ticket: input.ticket ?? request.context?.ticket,
        sessionId: input.sessionId,
        policyIds: explanation.determining,
        details: {
          action: String(request.action),
          decision: explanation.decision,
          version: explanation.version,
          ...(explanation.refusal ? { refusal: explanation.refusal } : {}),
          ...(explanation.fallbacks.length ? { fallbacks: explanation.fallbacks } : {}),
        },
      });
      return {
        decision: explanation.decision,
        determining: explanation.determining,
        version: explanation.version,
        fallbacks: explanation.fallbacks,
        summary: explanation.summary,
        ...(explanation.refusal ? { refusal: explanation.refusal } : {}),
      };
    },
    validate(text) {
      return { policies: summaries(parsePolicySet(text)) };
    },
    async apply(text, options) {
      const state = require();
      let set: ParsedPolicySet;
      try {
        set = parsePolicySet(text);
      } catch (error) {
        if (error instanceof WardError) {
          await deps.audit.append({
            action: 'policy.set.rejected',
            outcome: 'failure',
            actor: options.actor,
            target: { type: 'policy-set' },
            details: { reason: error.message.slice(0, 500), activeVersion: state.version },
          });
        }
        throw error;
      }
      // Compile before storing, so a set that cannot be evaluated is never recorded as active.
      const next = createState(set, state.store, state.version + 1, timeZone);
      const stored = await store.append({
        text,
        policyIds: set.policies.map((p) => p.id),
        digest: digestOf(text),
        comment: options.comment ?? null,
        createdBy: options.actor.id ?? null,
        createdAt: deps.clock.now(),
        expectedVersion: options.expectedVersion ?? state.version,
      });
      // An entity refresh may have swapped in newer entities while the store was writing: keep them.
      const latest = require().store;
      current = stored.version === next.version && latest === next.store ? next : createState(set, latest, stored.version, timeZone);
      await deps.audit.append({
        action: 'policy.set.applied',
        outcome: 'success',
        actor: options.actor,
        target: { type: 'policy-set', id: stored.id, name: `version ${stored.version}` },
        policyIds: stored.policyIds,
        details: {
          version: stored.version,
          previousVersion: state.version,
          digest: stored.digest,
          policies: stored.policyIds.length,
          fallbacks: current.compiled.fallbacks,
        },
      });
      const { text: _text, ...meta } = stored;
      return meta;
    },
    diff(text) {
      const state = require();
      const next = parsePolicySet(text);
      const before = new Map(state.set.policies.map((p) => [p.id, JSON.stringify(p.json)]));
      const after = new Map(next.policies.map((p) => [p.id, JSON.stringify(p.json)]));
      const added = [...after.keys()].filter((id) => !before.has(id));
      const removed = [...before.keys()].filter((id) => !after.has(id));
      const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id));
      return { fromVersion: state.version, added, removed, changed, unchanged: after.size - added.length - changed.length };
    },
    history: (limit = 50) => store.history(limit),
    active() {
      const state = require();
      return { version: state.version, text: state.set.text, policies: summaries(state.set) };
    },
    async getVersion(version) {
      const found = await store.get(version);
      if (!found) throw new WardError('NOT_FOUND', `no policy set version ${version}`);
      return found;
    },
    test(file, text) {
      return runPolicyTests(file, text ?? require().set);
    },
    async reload() {
      const active = await store.active();
      if (active && active.version !== current?.version) await loadActive();
    },
    refreshEntities,
    state: require,
  };
}

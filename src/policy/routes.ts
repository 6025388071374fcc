// HTTP routes of the policy domain: read the active set and its history, validate, diff and apply sets, run
// policy tests, and ask for (audited) decisions with explanations.
import { Type, type Static } from 'typebox';
import type { RouteModule } from '../server/http/types.js';
import type { Principal } from '../server/http/types.js';
import { wardActions } from './types.js';
import type { PolicyEngine } from './service.js';
import { actorKindOf } from './service.js';
import { parsePolicyTestFile } from './testfile.js';
import type { PolicyRequest } from './types.js';

const PolicySummary = Type.Object({
  id: Type.String(),
  description: Type.String(),
  effect: Type.Union([Type.Literal('permit'), Type.Literal('forbid')]),
  line: Type.Integer(),
});

const PolicySetMeta = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  policyIds: Type.Array(Type.String()),
  digest: Type.String(),
  comment: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Number(),
});

const PolicyText = Type.String({ minLength: 1, maxLength: 2_000_000 });

const EntityRefSchema = Type.Object(
  {
    type: Type.Union(['User', 'Target', 'Account', 'System'].map((t) => Type.Literal(t))),
    id: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

const ContextSchema = Type.Object(
  {
    networkZone: Type.Optional(Type.String({ maxLength: 100 })),
    deviceTrust: Type.Optional(Type.String({ maxLength: 100 })),
    onCall: Type.Optional(Type.Boolean()),
    emergency: Type.Optional(Type.Boolean()),
    mfaAgeSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    ticket: Type.Optional(Type.String({ maxLength: 200 })),
    purposeOfUse: Type.Optional(Type.String({ maxLength: 20 })),
    vendorWindow: Type.Optional(Type.Boolean()),
    requesterId: Type.Optional(Type.String({ maxLength: 200 })),
    command: Type.Optional(Type.String({ maxLength: 10_000 })),
    time: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const decisionFields = {
  principal: EntityRefSchema,
  action: Type.Union(wardActions.map((a) => Type.Literal(a))),
  resource: EntityRefSchema,
  context: ContextSchema,
};
const DecisionRequest = Type.Object(decisionFields, { additionalProperties: false });
const ExplainRequest = Type.Object(
  { ...decisionFields, evaluator: Type.Optional(Type.Union([Type.Literal('compiled'), Type.Literal('cedar-wasm')])) },
  { additionalProperties: false },
);

const Explanation = Type.Object({
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
  determining: Type.Array(Type.String()),
  summary: Type.String(),
  failed: Type.Array(Type.Object({ policyId: Type.String(), description: Type.String(), condition: Type.String() })),
  descriptions: Type.Record(Type.String(), Type.String()),
  errors: Type.Array(Type.Object({ policyId: Type.String(), message: Type.String() })),
  fallbacks: Type.Array(Type.String()),
  evaluator: Type.Union([Type.Literal('compiled'), Type.Literal('cedar-wasm')]),
  refusal: Type.Optional(Type.String()),
  version: Type.Integer(),
});

const Decision = Type.Object({
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
  determining: Type.Array(Type.String()),
  version: Type.Integer(),
  fallbacks: Type.Array(Type.String()),
  summary: Type.String(),
  refusal: Type.Optional(Type.String()),
});

function actorOf(principal: Principal | null) {
  return principal
    ? { id: principal.userId, kind: actorKindOf[principal.kind], name: principal.username }
    : { kind: 'anonymous' as const };
}

export function policyRoutes(engine: PolicyEngine): RouteModule {
  return (app) => {
    app.get(
      '/api/v1/policy',
      {
        config: { access: 'policy.read' },
        schema: {
          tags: ['policy'],
          summary: 'The active policy set',
          response: { 200: Type.Object({ version: Type.Integer(), text: Type.String(), policies: Type.Array(PolicySummary) }) },
        },
      },
      async () => engine.active(),
    );

    app.get(
      '/api/v1/policy/history',
      {
        config: { access: 'policy.read' },
        schema: {
          tags: ['policy'],
          summary: 'Applied policy sets, newest first',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(PolicySetMeta) }) },
        },
      },
      async (request) => ({ items: await engine.history(request.query.limit ?? 50) }),
    );

    app.get(
      '/api/v1/policy/versions/:version',
      {
        config: { access: 'policy.read' },
        schema: {
          tags: ['policy'],
          summary: 'One applied policy set with its text',
          params: Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
          response: { 200: Type.Intersect([PolicySetMeta, Type.Object({ text: Type.String() })]) },
        },
      },
      async (request) => engine.getVersion(request.params.version),
    );

    app.post(
      '/api/v1/policy/validate',
      {
        config: { access: 'policy.write' },
        schema: {
          tags: ['policy'],
          summary: 'Parse and validate a policy set against the schema without applying it',
          body: Type.Object({ text: PolicyText }, { additionalProperties: false }),
          response: { 200: Type.Object({ valid: Type.Literal(true), policies: Type.Array(PolicySummary) }) },
        },
      },
      async (request) => ({ valid: true as const, ...engine.validate(request.body.text) }),
    );

    app.post(
      '/api/v1/policy/diff',
      {
        config: { access: 'policy.read' },
        schema: {
          tags: ['policy'],
          summary: 'Policies added, removed and changed against the active set',
          body: Type.Object({ text: PolicyText }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              fromVersion: Type.Integer(),
              added: Type.Array(Type.String()),
              removed: Type.Array(Type.String()),
              changed: Type.Array(Type.String()),
              unchanged: Type.Integer(),
            }),
          },
        },
      },
      async (request) => engine.diff(request.body.text),
    );

    app.post(
      '/api/v1/policy/apply',
      {
        config: { access: 'policy.write', stepUp: true },
        schema: {
          tags: ['policy'],
          summary: 'Validate and activate a policy set as the next version',
          body: Type.Object(
            {
              text: PolicyText,
              comment: Type.Optional(Type.String({ maxLength: 1000 })),
              expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: PolicySetMeta },
        },
      },
      async (request) =>
        engine.apply(request.body.text, {
          actor: actorOf(request.principal),
          ...(request.body.comment !== undefined ? { comment: request.body.comment } : {}),
          ...(request.body.expectedVersion !== undefined ? { expectedVersion: request.body.expectedVersion } : {}),
        }),
    );

    app.post(
      '/api/v1/policy/test',
      {
        config: { access: 'policy.read' },
        schema: {
          tags: ['policy'],
          summary: 'Run a policy test file (YAML) against the given text or the active set',
          body: Type.Object({ file: Type.String({ minLength: 1, maxLength: 2_000_000 }), text: Type.Optional(PolicyText) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              name: Type.String(),
              passed: Type.Integer(),
              failed: Type.Integer(),
              results: Type.Array(
                Type.Object({
                  name: Type.String(),
                  passed: Type.Boolean(),
                  expected: Type.String(),
                  actual: Type.String(),
                  determining: Type.Array(Type.String()),
                  problem: Type.Optional(Type.String()),
                  summary: Type.String(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => engine.test(parsePolicyTestFile(request.body.file), request.body.text),
    );

    app.post(
      '/api/v1/policy/explain',
      {
        config: { access: 'policy.evaluate' },
        schema: {
          tags: ['policy'],
          summary: 'What the policy would decide for a request, and why (not audited)',
          body: ExplainRequest,
          response: { 200: Explanation },
        },
      },
      async (request) => {
        const { evaluator, ...rest } = request.body as Static<typeof ExplainRequest>;
        return engine.explain(rest as PolicyRequest, evaluator ? { evaluator } : {});
      },
    );

    app.post(
      '/api/v1/policy/decisions',
      {
        config: { access: 'policy.evaluate' },
        schema: {
          tags: ['policy'],
          summary: 'An audited decision (recorded with its determining policy ids, denials included)',
          body: DecisionRequest,
          response: { 200: Decision },
        },
      },
      async (request) => engine.authorize(request.body as PolicyRequest, { actor: actorOf(request.principal) }),
    );
  };
}

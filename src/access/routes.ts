// HTTP routes for just-in-time access under /api/v1/access: requests, approvals, grants, break-glass,
// post-event reviews, on-call schedules and metrics. Each route declares the permission it needs.
import { Type, type Static } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteModule } from '../server/http/types.js';
import { WardError } from '../platform/errors.js';
import type { AccessService } from './service.js';
import type { AccessActor } from './types.js';
import { parseOnCallFile, type OnCallShiftInput } from './oncall.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const RequestViewSchema = Type.Object({
  id: Type.String(),
  requesterId: Type.String(),
  requesterName: Type.String(),
  targetId: Type.String(),
  targetName: Type.String(),
  zoneId: Type.String(),
  riskTier: Type.String(),
  accountId: Nullable(Type.String()),
  accountName: Nullable(Type.String()),
  reasonCode: Type.String(),
  justification: Type.String(),
  ticket: Nullable(Type.String()),
  startsAt: Type.Number(),
  durationSeconds: Type.Integer(),
  status: Type.String(),
  requiredApprovals: Type.Integer(),
  requireOwnerOrManager: Type.Boolean(),
  approvals: Type.Array(
    Type.Object({
      approverId: Type.String(),
      approverName: Type.String(),
      decision: Type.String(),
      note: Nullable(Type.String()),
      at: Type.Number(),
      valid: Type.Boolean(),
    }),
  ),
  autoApproved: Type.Boolean(),
  onCall: Type.Boolean(),
  breakglass: Type.Boolean(),
  policyIds: Type.Array(Type.String()),
  grantId: Nullable(Type.String()),
  createdAt: Type.Number(),
  decidedAt: Nullable(Type.Number()),
});

export const GrantViewSchema = Type.Object({
  id: Type.String(),
  requestId: Type.String(),
  userId: Type.String(),
  username: Type.String(),
  targetId: Type.String(),
  targetName: Type.String(),
  zoneId: Type.String(),
  accountId: Nullable(Type.String()),
  accountName: Nullable(Type.String()),
  startsAt: Type.Number(),
  endsAt: Type.Number(),
  idleDeadlineAt: Type.Number(),
  breakglass: Type.Boolean(),
  state: Type.String(),
  endedAt: Nullable(Type.Number()),
  endReason: Nullable(Type.String()),
  endedBy: Nullable(Type.String()),
  createdAt: Type.Number(),
});

export const ReviewViewSchema = Type.Object({
  id: Type.String(),
  grantId: Type.String(),
  requestId: Type.String(),
  userId: Type.String(),
  username: Type.String(),
  targetName: Type.String(),
  reviewerId: Nullable(Type.String()),
  status: Type.String(),
  dueAt: Type.Number(),
  escalatedAt: Nullable(Type.Number()),
  outcome: Nullable(Type.String()),
  note: Nullable(Type.String()),
  completedBy: Nullable(Type.String()),
  completedAt: Nullable(Type.Number()),
  flagged: Type.Boolean(),
  createdAt: Type.Number(),
});

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const Note = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
// Integer first: with type coercion on, a string branch first would turn epoch milliseconds into text.
const When = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 40 })]);

const CreateRequest = Type.Object(
  {
    target: Type.String({ minLength: 1, maxLength: 200 }),
    account: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    startsAt: Type.Optional(When),
    durationSeconds: Type.Integer({ minimum: 0, maximum: 10 * 365 * 24 * 3600 }),
    reasonCode: Type.String({ maxLength: 20 }),
    // Optional here so that a missing justification or ticket reaches the service, which explains and audits it.
    justification: Type.Optional(Type.String({ maxLength: 4000 })),
    ticket: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

const Breakglass = Type.Object(
  {
    target: Type.String({ minLength: 1, maxLength: 200 }),
    account: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    reasonCode: Type.String({ maxLength: 20 }),
    justification: Type.Optional(Type.String({ maxLength: 4000 })),
    durationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 * 365 * 24 * 3600 })),
  },
  { additionalProperties: false },
);

const ShiftInput = Type.Object(
  { zone: Type.String({ minLength: 1, maxLength: 200 }), user: Type.String({ minLength: 1, maxLength: 200 }), start: Type.String({ maxLength: 40 }), end: Type.String({ maxLength: 40 }) },
  { additionalProperties: false },
);

const ImportOnCall = Type.Object(
  {
    source: Type.String({ minLength: 1, maxLength: 100 }),
    shifts: Type.Optional(Type.Array(ShiftInput, { maxItems: 10_000 })),
    /** A file as exported by the rota tool, instead of `shifts`. */
    file: Type.Optional(Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('yaml')]), content: Type.String({ maxLength: 2_000_000 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const MetricsSchema = Type.Object({
  medianSecondsRequestToGrant: Nullable(Type.Number()),
  meanSecondsToRevokeAfterExpiry: Nullable(Type.Number()),
  jitShare: Nullable(Type.Number()),
  standingAdminCount: Type.Number(),
  breakglassCount: Type.Number(),
  overdueReviews: Type.Number(),
  activeGrants: Type.Number(),
  pendingRequests: Type.Number(),
});

function actorOf(request: FastifyRequest): AccessActor {
  const principal = request.principal;
  if (!principal) throw new WardError('AUTH_REQUIRED');
  return principal;
}

function parseWhen(value: Static<typeof When> | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new WardError('REQUEST_INVALID', `startsAt "${value}" is not an ISO 8601 time.`, { field: 'startsAt' });
  return ms;
}

export function accessRoutes(service: AccessService): RouteModule {
  return (app) => {
    app.post(
      '/api/v1/access/requests',
      { config: { access: 'access.request' }, schema: { tags: ['access'], summary: 'Request time-bound access to a target', body: CreateRequest, response: { 201: RequestViewSchema } } },
      async (request, reply) => {
        const body = request.body;
        const view = await service.request(actorOf(request), {
          target: body.target,
          account: body.account,
          startsAt: parseWhen(body.startsAt),
          durationSeconds: body.durationSeconds,
          reasonCode: body.reasonCode,
          justification: body.justification ?? '',
          ticket: body.ticket,
        });
        return reply.status(201).send(view);
      },
    );

    app.get(
      '/api/v1/access/requests',
      {
        config: { access: 'access.request' },
        schema: {
          tags: ['access'],
          summary: 'My access requests',
          querystring: Type.Object({ status: Type.Optional(Type.String({ maxLength: 20 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(RequestViewSchema) }) },
        },
      },
      async (request) => ({ items: await service.listRequests(actorOf(request), { scope: 'mine', status: request.query.status, limit: request.query.limit }) }),
    );

    app.get(
      '/api/v1/access/requests/:id',
      { config: { access: 'access.request' }, schema: { tags: ['access'], params: Id, response: { 200: RequestViewSchema } } },
      async (request) => service.getRequest(actorOf(request), request.params.id),
    );

    app.post(
      '/api/v1/access/requests/:id/cancel',
      { config: { access: 'access.request' }, schema: { tags: ['access'], summary: 'Cancel my pending request', params: Id, response: { 200: RequestViewSchema } } },
      async (request) => service.cancel(actorOf(request), request.params.id),
    );

    app.get(
      '/api/v1/access/approvals',
      {
        config: { access: 'access.approve' },
        schema: {
          tags: ['access'],
          summary: 'Pending requests I may decide',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(RequestViewSchema) }) },
        },
      },
      async (request) => ({ items: await service.listRequests(actorOf(request), { scope: 'approvable', limit: request.query.limit }) }),
    );

    app.get(
      '/api/v1/access/approvals/:id',
      { config: { access: 'access.approve' }, schema: { tags: ['access'], params: Id, response: { 200: RequestViewSchema } } },
      async (request) => service.getRequest(actorOf(request), request.params.id),
    );

    app.post(
      '/api/v1/access/approvals/:id/approve',
      { config: { access: 'access.approve' }, schema: { tags: ['access'], params: Id, body: Type.Optional(Note), response: { 200: RequestViewSchema } } },
      async (request) => service.approve(actorOf(request), request.params.id, request.body?.note),
    );

    app.post(
      '/api/v1/access/approvals/:id/deny',
      { config: { access: 'access.approve' }, schema: { tags: ['access'], params: Id, body: Type.Optional(Note), response: { 200: RequestViewSchema } } },
      async (request) => service.deny(actorOf(request), request.params.id, request.body?.note),
    );

    app.post(
      '/api/v1/access/approvals/:id/revoke',
      { config: { access: 'access.approve' }, schema: { tags: ['access'], summary: 'Revoke the grant of a request I approved', params: Id, body: Type.Optional(Note), response: { 200: GrantViewSchema } } },
      async (request) => {
        const actor = actorOf(request);
        const view = await service.getRequest(actor, request.params.id);
        if (!view.grantId) throw new WardError('CONFLICT', 'This request has no grant to revoke.');
        return service.revokeGrant(actor, view.grantId, request.body?.note);
      },
    );

    app.get(
      '/api/v1/access/grants',
      {
        config: { access: 'access.request' },
        schema: {
          tags: ['access'],
          summary: 'My grants (scope=all with access.revoke)',
          querystring: Type.Object(
            {
              scope: Type.Optional(Type.Union([Type.Literal('mine'), Type.Literal('all')])),
              state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(GrantViewSchema) }) },
        },
      },
      async (request) => ({ items: await service.listGrants(actorOf(request), { scope: request.query.scope ?? 'mine', state: request.query.state, limit: request.query.limit }) }),
    );

    app.post(
      '/api/v1/access/grants/:id/release',
      { config: { access: 'access.request' }, schema: { tags: ['access'], summary: 'End my own grant early', params: Id, body: Type.Optional(Note), response: { 200: GrantViewSchema } } },
      async (request) => service.releaseGrant(actorOf(request), request.params.id, request.body?.note),
    );

    app.post(
      '/api/v1/access/grants/:id/revoke',
      { config: { access: 'access.revoke' }, schema: { tags: ['access'], summary: 'Revoke any grant (security)', params: Id, body: Type.Optional(Note), response: { 200: GrantViewSchema } } },
      async (request) => service.revokeGrant(actorOf(request), request.params.id, request.body?.note),
    );

    app.post(
      '/api/v1/access/breakglass',
      {
        config: { access: 'access.breakglass', stepUp: true },
        schema: {
          tags: ['access'],
          summary: 'Emergency access (break-glass): immediate, capped, alerted and reviewed',
          body: Breakglass,
          response: { 201: Type.Object({ request: RequestViewSchema, grant: GrantViewSchema, review: ReviewViewSchema, flagged: Type.Boolean() }) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const result = await service.breakglass(actorOf(request), {
          target: body.target,
          account: body.account,
          reasonCode: body.reasonCode,
          justification: body.justification ?? '',
          durationSeconds: body.durationSeconds,
        });
        return reply.status(201).send(result);
      },
    );

    app.get(
      '/api/v1/access/reviews',
      {
        config: { access: 'access.reviews' },
        schema: {
          tags: ['access'],
          summary: 'Post-break-glass reviews',
          querystring: Type.Object(
            { status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('open'), Type.Literal('escalated'), Type.Literal('completed')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(ReviewViewSchema) }) },
        },
      },
      async (request) => ({ items: await service.listReviews(actorOf(request), { status: request.query.status, limit: request.query.limit }) }),
    );

    app.post(
      '/api/v1/access/reviews/:id',
      {
        config: { access: 'access.reviews' },
        schema: {
          tags: ['access'],
          summary: 'Attest a break-glass event',
          params: Id,
          body: Type.Object({ outcome: Type.Union([Type.Literal('appropriate'), Type.Literal('inappropriate')]), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
          response: { 200: ReviewViewSchema },
        },
      },
      async (request) => service.completeReview(actorOf(request), request.params.id, request.body),
    );

    app.get(
      '/api/v1/access/oncall',
      {
        config: { access: 'access.oncall.manage' },
        schema: {
          tags: ['access'],
          querystring: Type.Object({ zone: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              shifts: Type.Array(Type.Object({ zoneId: Type.String(), userId: Type.String(), startsAt: Type.Number(), endsAt: Type.Number(), source: Type.String() })),
            }),
          },
        },
      },
      async (request) => ({ shifts: await service.listOnCall(request.query.zone ? { zoneId: request.query.zone } : {}) }),
    );

    app.put(
      '/api/v1/access/oncall',
      {
        config: { access: 'access.oncall.manage' },
        schema: { tags: ['access'], summary: 'Replace the shifts of one schedule source', body: ImportOnCall, response: { 200: Type.Object({ imported: Type.Integer() }) } },
      },
      async (request) => {
        const body = request.body;
        let shifts: OnCallShiftInput[];
        if (body.file) shifts = parseOnCallFile(body.file.content, body.file.format);
        else if (body.shifts) shifts = body.shifts;
        else throw new WardError('VALIDATION_FAILED', 'Send either "shifts" or "file".');
        return service.importOnCall(actorOf(request), body.source, shifts);
      },
    );

    app.get(
      '/api/v1/access/metrics',
      { config: { access: 'metrics.read' }, schema: { tags: ['access'], summary: 'JIT access metrics', response: { 200: MetricsSchema } } },
      async () => service.metrics(),
    );
  };
}

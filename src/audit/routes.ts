// HTTP API of the audit trail under /api/v1/audit: search with cursors, JSON-lines/CSV export, a long-poll tail,
// the chain head and sink health. Every read is itself audited (DICOM 110101 Audit Log Used).
import { Readable } from 'node:stream';
import { Type, type Static } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteModule } from '../server/http/types.js';
import { WardError } from '../platform/errors.js';
import type { AuditTrail } from './service.js';
import type { AuditOutbox } from './outbox.js';
import type { AuditActor, AuditQuery, AuditRecord, CheckpointVerifier } from './types.js';
import { verifyStore } from './verify.js';
import { csvHeader, decodeCursor, encodeCursor, toCsvRow, toJsonLine } from './format.js';

const Str = (max = 200) => Type.String({ minLength: 1, maxLength: max });
const Optional = Type.Optional;

const DetailValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.String())]);
export const AuditRecordSchema = Type.Object({
  id: Type.String(),
  sequence: Type.Integer(),
  time: Type.Integer(),
  nodeId: Type.String(),
  action: Type.String(),
  outcome: Type.String(),
  actor: Type.Object({
    id: Optional(Type.String()),
    kind: Type.String(),
    name: Optional(Type.String()),
    address: Optional(Type.String()),
    device: Optional(Type.String()),
  }),
  target: Optional(
    Type.Object({
      type: Type.String(),
      id: Optional(Type.String()),
      name: Optional(Type.String()),
      system: Optional(Type.String()),
      account: Optional(Type.String()),
    }),
  ),
  reasonCode: Optional(Type.String()),
  ticket: Optional(Type.String()),
  justification: Optional(Type.String()),
  sessionId: Optional(Type.String()),
  policyIds: Optional(Type.Array(Type.String())),
  details: Optional(Type.Record(Type.String(), DetailValue)),
});

const filterFields = {
  actor: Optional(Str()),
  actorName: Optional(Str()),
  target: Optional(Str()),
  targetName: Optional(Str()),
  action: Optional(Type.String({ pattern: '^[a-z0-9_.]+$', maxLength: 100 })),
  actionPrefix: Optional(Type.String({ pattern: '^[a-z0-9_.]+$', maxLength: 100 })),
  outcome: Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')])),
  reasonCode: Optional(Type.String({ pattern: '^[A-Z]{2,10}$' })),
  session: Optional(Str()),
  from: Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time or epoch milliseconds (inclusive)' })),
  to: Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time or epoch milliseconds (exclusive)' })),
};

const SearchQuery = Type.Object(
  {
    ...filterFields,
    order: Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const ExportQuery = Type.Object(
  { ...filterFields, format: Optional(Type.Union([Type.Literal('jsonl'), Type.Literal('csv')])), limit: Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) },
  { additionalProperties: false },
);
const TailQuery = Type.Object(
  { ...filterFields, after: Optional(Type.Integer({ minimum: 0 })), waitSeconds: Optional(Type.Integer({ minimum: 0, maximum: 60, default: 25 })) },
  { additionalProperties: false },
);
const SinkHealthSchema = Type.Object({
  sink: Type.String(),
  sequence: Type.Integer(),
  lag: Type.Integer(),
  delivered: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: Type.Union([Type.Integer(), Type.Null()]),
  lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
});

type Filters = Static<typeof SearchQuery>;

function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new WardError('VALIDATION_FAILED', `querystring.${name} must be an ISO 8601 time or epoch milliseconds`);
  return ms;
}

function toQuery(filters: Omit<Filters, 'order' | 'limit' | 'cursor'>): AuditQuery {
  return {
    actorId: filters.actor,
    actorName: filters.actorName,
    targetId: filters.target,
    targetName: filters.targetName,
    action: filters.action,
    actionPrefix: filters.actionPrefix,
    outcome: filters.outcome,
    reasonCode: filters.reasonCode,
    sessionId: filters.session,
    from: parseTime(filters.from, 'from'),
    to: parseTime(filters.to, 'to'),
  };
}

function actorOf(request: FastifyRequest): AuditActor {
  const p = request.principal;
  const ua = request.headers['user-agent'];
  if (!p) return { kind: 'anonymous', address: request.ip };
  return { id: p.userId, kind: p.kind === 'human' ? 'user' : p.kind, name: p.username, address: request.ip, ...(ua ? { device: ua.slice(0, 200) } : {}) };
}

/** The filters actually used, as scalar details (no values beyond what the reader typed). */
function filterDetails(filters: Record<string, unknown>): Record<string, string | number> {
  const details: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(filters)) if (typeof value === 'string' || typeof value === 'number') details[`query.${key}`] = value;
  return details;
}

const VerificationSchema = Type.Object({
  intact: Type.Boolean(),
  events: Type.Integer(),
  lastSequence: Type.Integer(),
  checkpoints: Type.Integer(),
  damage: Type.Union([Type.Object({ kind: Type.String(), sequence: Type.Integer(), message: Type.String() }), Type.Null()]),
});

export interface AuditRouteOptions {
  outbox?: AuditOutbox | undefined;
  /** Public-key verifiers for POST /api/v1/audit/verify (the route is absent without them). */
  verifiers?: CheckpointVerifier[] | undefined;
}

export function auditRoutes(trail: AuditTrail, options: AuditRouteOptions = {}): RouteModule {
  return (app) => {
    async function used(request: FastifyRequest, action: 'audit.log.used' | 'audit.log.exported', filters: Record<string, unknown>, returned?: number) {
      await trail.append({
        action,
        outcome: 'success',
        actor: actorOf(request),
        target: { type: 'audit-trail', name: 'audit' },
        details: { ...filterDetails(filters), ...(returned === undefined ? {} : { returned }) },
      });
    }

    app.get(
      '/api/v1/audit/events',
      {
        config: { access: 'audit.read' },
        schema: {
          tags: ['audit'],
          summary: 'Search the audit trail (newest first by default)',
          querystring: SearchQuery,
          response: { 200: Type.Object({ items: Type.Array(AuditRecordSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
        },
      },
      async (request) => {
        const { order = 'desc', limit = 50, cursor, ...filters } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor);
        if (after === null) throw new WardError('VALIDATION_FAILED', 'querystring.cursor is not a cursor this API issued');
        const items = await trail.search({ ...toQuery(filters), order, limit: limit + 1, afterSequence: after });
        const page = items.slice(0, limit);
        // The read is recorded before the results leave: if it cannot be recorded, nothing is shown.
        await used(request, 'audit.log.used', { ...filters, order }, page.length);
        return { items: page, nextCursor: items.length > limit ? encodeCursor(page[page.length - 1]!.sequence) : null };
      },
    );

    app.get(
      '/api/v1/audit/events/export',
      {
        config: { access: 'audit.read' },
        schema: {
          tags: ['audit'],
          summary: 'Export matching events as JSON lines or CSV, oldest first',
          querystring: ExportQuery,
          produces: ['application/x-ndjson', 'text/csv'],
          response: { 200: Type.String({ description: 'JSON lines (one event per line) or CSV with a header row' }) },
        },
      },
      async (request, reply) => {
        const { format = 'jsonl', limit = 100_000, ...filters } = request.query;
        const query = toQuery(filters);
        await used(request, 'audit.log.exported', { ...filters, format, limit });
        async function* lines() {
          if (format === 'csv') yield csvHeader();
          let after = 0;
          let left = limit;
          while (left > 0) {
            const page: AuditRecord[] = await trail.search({ ...query, order: 'asc', afterSequence: after, limit: Math.min(1000, left) });
            if (page.length === 0) return;
            yield page.map(format === 'csv' ? toCsvRow : toJsonLine).join('');
            after = page[page.length - 1]!.sequence;
            left -= page.length;
          }
        }
        void reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
        void reply.header('content-disposition', `attachment; filename="ward-audit.${format === 'csv' ? 'csv' : 'jsonl'}"`);
        // Streamed: the documented 200 body is text, which a stream is not to the type checker.
        return reply.send(Readable.from(lines()) as never);
      },
    );

    app.get(
      '/api/v1/audit/tail',
      {
        config: { access: 'audit.read' },
        schema: {
          tags: ['audit'],
          summary: 'Events after a sequence number, waiting up to waitSeconds for new ones (long poll for `ward audit tail -f`)',
          querystring: TailQuery,
          response: { 200: Type.Object({ items: Type.Array(AuditRecordSchema), last: Type.Integer() }) },
        },
      },
      async (request) => {
        const { after, waitSeconds = 25, ...filters } = request.query;
        const query = toQuery(filters);
        // Only the start of a tail is recorded; every poll would flood the trail with its own reads.
        if (after === undefined) {
          await used(request, 'audit.log.used', { ...filters, tail: 'start' });
          const head = await trail.head();
          const recent = await trail.search({ ...query, order: 'desc', limit: 20 });
          return { items: recent.reverse(), last: head.sequence };
        }
        const deadline = Date.now() + waitSeconds * 1000;
        while (true) {
          const head = await trail.head();
          const items = await trail.search({ ...query, order: 'asc', afterSequence: after, limit: 500 });
          if (items.length > 0) return { items, last: items.length === 500 ? items[items.length - 1]!.sequence : head.sequence };
          const remaining = deadline - Date.now();
          if (remaining <= 0 || head.sequence > after) return { items, last: Math.max(after, head.sequence) };
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, Math.min(remaining, 1000));
            const off = trail.onCommit(done);
            request.raw.once('close', done);
            function done() {
              clearTimeout(timer);
              off();
              resolve();
            }
          });
          if (request.raw.destroyed) return { items: [], last: after };
        }
      },
    );

    app.get(
      '/api/v1/audit/head',
      {
        config: { access: 'audit.read' },
        schema: { tags: ['audit'], summary: 'The chain head and the last signed checkpoint', response: { 200: Type.Object({ sequence: Type.Integer(), checkpointSequence: Type.Integer() }) } },
      },
      async () => trail.head(),
    );

    const verifiers = options.verifiers;
    if (verifiers?.length) {
      app.post(
        '/api/v1/audit/verify',
        {
          config: { access: 'audit.manage' },
          schema: { tags: ['audit'], summary: 'Verify the chain and checkpoints now (the offline `ward audit verify` does the same)', response: { 200: VerificationSchema } },
        },
        async (request) => {
          const result = await verifyStore(trail.store, { verifiers });
          await trail.append({
            action: 'audit.log.verified',
            outcome: result.intact ? 'success' : 'failure',
            actor: actorOf(request),
            target: { type: 'audit-trail', name: 'audit' },
            details: { events: result.events, lastSequence: result.lastSequence, ...(result.damage ? { damage: result.damage.kind, damageSequence: result.damage.sequence } : {}) },
          });
          return { intact: result.intact, events: result.events, lastSequence: result.lastSequence, checkpoints: result.checkpoints, damage: result.damage ?? null };
        },
      );
    }

    app.get(
      '/api/v1/audit/sinks',
      {
        config: { access: 'audit.read' },
        schema: { tags: ['audit'], summary: 'Export sink health: lag, delivered count, last error', response: { 200: Type.Object({ items: Type.Array(SinkHealthSchema) }) } },
      },
      async () => ({ items: options.outbox ? await options.outbox.health() : [] }),
    );
  };
}

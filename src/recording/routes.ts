// HTTP access to recordings: a search over sealed recordings, and plain asciicast for the console player, `ward play`
// and `ward recording export`. Every playback is permission-gated (recordings.play) and audited.
import { Type } from 'typebox';
import type { AuditLog, AuditQuery, AuditRecord } from '../audit/types.js';
import type { RouteModule } from '../server/http/types.js';
import { ErrorResponse } from '../server/http/schemas.js';
import type { RecordingReader } from './files.js';

export function recordingRoutes(deps: { reader: RecordingReader; audit: AuditLog }): RouteModule {
  return (app) => {
    app.get(
      '/api/v1/recordings/:id',
      {
        config: { access: 'recordings.play' },
        schema: {
          params: Type.Object({ id: Type.String({ minLength: 36, maxLength: 48 }) }, { additionalProperties: false }),
          response: { 200: Type.String(), 404: ErrorResponse },
        },
      },
      async (request, reply) => {
        const { recordingId, asciicast, sha256 } = await deps.reader.asciicast(request.params.id);
        const principal = request.principal!;
        await deps.audit.append({
          action: 'recording.played',
          outcome: 'success',
          actor: { id: principal.userId, kind: principal.kind === 'human' ? 'user' : principal.kind, name: principal.username, address: request.ip },
          target: { type: 'recording', id: recordingId },
          sessionId: recordingId.slice(0, 36),
          details: { sha256 },
        });
        return reply.type('application/x-asciicast').send(asciicast.toString('utf8'));
      },
    );
  };
}

const Millis = Type.Integer({ minimum: 0 });

const RecordingSearchQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'username, exact' })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'target name, exact' })),
    from: Type.Optional(Millis),
    to: Type.Optional(Millis),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

const RecordingSummary = Type.Object(
  {
    id: Type.String(),
    sessionId: Type.String(),
    userId: Type.Union([Type.String(), Type.Null()]),
    user: Type.Union([Type.String(), Type.Null()]),
    target: Type.Union([Type.String(), Type.Null()]),
    account: Type.Union([Type.String(), Type.Null()]),
    zone: Type.Union([Type.String(), Type.Null()]),
    channel: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.Union([Type.Number(), Type.Null()]),
    endedAt: Type.Number(),
    bytes: Type.Union([Type.Number(), Type.Null()]),
    events: Type.Union([Type.Number(), Type.Null()]),
    sha256: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

/** What the search needs from the audit trail: its query, nothing else. */
export interface RecordingIndex {
  search(query: AuditQuery): Promise<AuditRecord[]>;
}

/**
 * Lists sealed recordings newest first. The audit trail is the index: every sealed recording has a
 * `gateway.ssh.recording.sealed` event (who, target, account, zone, hash, size) and its session a
 * `gateway.ssh.session.started` event (when), so there is no second table to keep in step with the files.
 */
export function recordingSearchRoutes(deps: { audit: RecordingIndex }): RouteModule {
  return (app) => {
    app.get(
      '/api/v1/recordings',
      {
        config: { access: 'sessions.read' },
        schema: { querystring: RecordingSearchQuery, response: { 200: Type.Object({ items: Type.Array(RecordingSummary) }) } },
      },
      async (request) => {
        const { user, target, from, to, limit } = request.query;
        const sealed = await deps.audit.search({
          action: 'gateway.ssh.recording.sealed',
          actorName: user,
          targetName: target,
          from,
          to,
          limit: limit ?? 50,
          order: 'desc',
        });
        const sessionIds = [...new Set(sealed.map((event) => event.sessionId).filter((id): id is string => Boolean(id)))];
        const starts = new Map<string, number>();
        await Promise.all(
          sessionIds.map(async (sessionId) => {
            const [started] = await deps.audit.search({ action: 'gateway.ssh.session.started', sessionId, limit: 1 });
            if (started) starts.set(sessionId, started.time);
          }),
        );
        const text = (value: unknown) => (typeof value === 'string' ? value : null);
        const count = (value: unknown) => (typeof value === 'number' ? value : null);
        return {
          items: sealed
            .filter((event) => typeof event.details?.recordingId === 'string')
            .map((event) => ({
              id: event.details!.recordingId as string,
              sessionId: event.sessionId ?? '',
              userId: event.actor.id ?? null,
              user: event.actor.name ?? null,
              target: event.target?.name ?? null,
              account: event.target?.account ?? null,
              zone: event.target?.system ?? null,
              channel: text(event.details?.channel),
              startedAt: event.sessionId ? (starts.get(event.sessionId) ?? null) : null,
              endedAt: event.time,
              bytes: count(event.details?.bytes),
              events: count(event.details?.events),
              sha256: text(event.details?.sha256),
            })),
        };
      },
    );
  };
}

// Live SSH session control over HTTP: list, watch one live (Server-Sent Events), terminate one, terminate all of a
// user's. Watching and terminations are audited.
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Type } from 'typebox';
import type { AuditLog } from '../../audit/types.js';
import { WardError } from '../../platform/errors.js';
import type { RouteModule } from '../../server/http/types.js';
import { ErrorResponse, IdParams } from '../../server/http/schemas.js';
import type { LiveSessions } from './live.js';

const LiveSession = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    username: Type.String(),
    target: Type.String(),
    account: Type.String(),
    zone: Type.String(),
    grantId: Type.Union([Type.String(), Type.Null()]),
    clientAddress: Type.String(),
    startedAt: Type.Number(),
    lastActivityAt: Type.Number(),
    channels: Type.Array(Type.String()),
    recordings: Type.Array(Type.String()),
    terminal: Type.Union([Type.Object({ cols: Type.Integer(), rows: Type.Integer() }), Type.Null()]),
  },
  { additionalProperties: false },
);

/** Before the client asked for a pty, a watcher's terminal starts at the asciicast default. */
const DEFAULT_SIZE = { cols: 80, rows: 24 };
/** A comment line now and then keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
/** A viewer that cannot keep up is cut off rather than buffered without bound (the session itself never waits). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const Reason = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export function sshSessionRoutes(deps: { sessions: LiveSessions; audit: AuditLog }): RouteModule {
  return (app) => {
    // Open watch streams are never idle, so closing the server would wait for them: end them first.
    const openWatches = new Set<(reason: string) => void>();
    app.addHook('preClose', async () => {
      for (const finish of [...openWatches]) finish('Ward is shutting down');
    });
    app.get(
      '/api/v1/gateway/ssh/sessions',
      { config: { access: 'sessions.read' }, schema: { response: { 200: Type.Object({ items: Type.Array(LiveSession) }) } } },
      async () => ({ items: deps.sessions.list() }),
    );
    // The stream speaks asciinema's live protocol (the eventsource driver): a header `{cols, rows}`, then
    // `[seconds, "o", text]` and `[seconds, "r", "COLSxROWS"]`, and a final `event: done` with the reason.
    // Keystrokes are not streamed: a watcher sees what the terminal shows, not a password typed at a silent prompt.
    app.get(
      '/api/v1/gateway/ssh/sessions/:id/watch',
      {
        config: { access: 'sessions.watch' },
        // 200 is a text/event-stream body, written as the session speaks (no schema to serialise against).
        schema: { params: IdParams, response: { 404: ErrorResponse } },
      },
      async (request, reply) => {
        const session = deps.sessions.get(request.params.id);
        if (!session) throw new WardError('NOT_FOUND', 'No such live session.');
        const principal = request.principal!;
        await deps.audit.append({
          action: 'gateway.ssh.session.watched',
          outcome: 'success',
          actor: { id: principal.userId, kind: 'user', name: principal.username, address: request.ip },
          target: { type: 'user', id: session.userId, name: session.username, system: session.target, account: session.account },
          sessionId: session.id,
          details: { zone: session.zone },
        });
        const stream = new PassThrough();
        // Stream-relative seconds for the player's timing, not domain time, so the wall clock is what is wanted.
        const started = Date.now();
        const decoder = new StringDecoder('utf8');
        const seconds = () => (Date.now() - started) / 1000;
        let finish: (reason: string | null) => void = () => {};
        const send = (data: unknown, event?: string) => {
          if (stream.writableEnded) return;
          stream.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
          if (!event && stream.writableLength > MAX_BUFFERED_BYTES) finish('the viewer could not keep up with the session');
        };
        send({ ...(session.terminal ?? DEFAULT_SIZE), time: 0 });
        const keepalive = setInterval(() => !stream.writableEnded && stream.write(': keepalive\n\n'), KEEPALIVE_MS);
        keepalive.unref();
        let stopWatching = () => {};
        finish = (reason: string | null) => {
          openWatches.delete(finish);
          clearInterval(keepalive);
          stopWatching();
          if (reason !== null && !stream.writableEnded) {
            const rest = decoder.end();
            if (rest) send([seconds(), 'o', rest]);
            send({ reason }, 'done');
            stream.end();
          }
        };
        stopWatching = deps.sessions.watch(
          session.id,
          (event) => {
            if (event.code === 'o') {
              const text = typeof event.data === 'string' ? event.data : decoder.write(event.data);
              if (text) send([seconds(), 'o', text]);
            } else if (event.code === 'r') {
              send([seconds(), 'r', String(event.data)]);
            }
          },
          (reason) => finish(reason),
        );
        openWatches.add(finish);
        // The viewer went away (tab closed, fetch aborted): Fastify destroys the stream, and watching stops.
        stream.once('close', () => finish(null));
        return reply
          .header('cache-control', 'no-store')
          .header('x-accel-buffering', 'no')
          .type('text/event-stream; charset=utf-8')
          .send(stream as never);
      },
    );
    app.post(
      '/api/v1/gateway/ssh/sessions/:id/terminate',
      {
        config: { access: 'sessions.terminate' },
        schema: { params: IdParams, body: Reason, response: { 200: Type.Object({ terminated: Type.Integer() }), 404: ErrorResponse } },
      },
      async (request) => {
        const session = deps.sessions.get(request.params.id);
        if (!session) throw new WardError('NOT_FOUND', 'No such live session.');
        const principal = request.principal!;
        await deps.audit.append({
          action: 'gateway.ssh.session.terminated',
          outcome: 'success',
          actor: { id: principal.userId, kind: 'user', name: principal.username, address: request.ip },
          target: { type: 'user', id: session.userId, name: session.username, system: session.target },
          sessionId: session.id,
          justification: request.body.reason,
        });
        deps.sessions.terminate(session.id, request.body.reason);
        return { terminated: 1 };
      },
    );
    app.post(
      '/api/v1/gateway/ssh/users/:id/terminate',
      {
        config: { access: 'sessions.terminate' },
        schema: { params: IdParams, body: Reason, response: { 200: Type.Object({ terminated: Type.Integer() }) } },
      },
      async (request) => {
        const principal = request.principal!;
        await deps.audit.append({
          action: 'gateway.ssh.user.sessions.terminated',
          outcome: 'success',
          actor: { id: principal.userId, kind: 'user', name: principal.username, address: request.ip },
          target: { type: 'user', id: request.params.id },
          justification: request.body.reason,
        });
        return { terminated: deps.sessions.terminateUser(request.params.id, request.body.reason) };
      },
    );
  };
}

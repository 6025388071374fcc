// Live SSH session control over HTTP: list, terminate one, terminate all of a user's. Terminations are audited.
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
  },
  { additionalProperties: false },
);

const Reason = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export function sshSessionRoutes(deps: { sessions: LiveSessions; audit: AuditLog }): RouteModule {
  return (app) => {
    app.get(
      '/api/v1/gateway/ssh/sessions',
      { config: { access: 'sessions.read' }, schema: { response: { 200: Type.Object({ items: Type.Array(LiveSession) }) } } },
      async () => ({ items: deps.sessions.list() }),
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

// HTTP access to recordings: plain asciicast for the console player, `ward play` and `ward recording export`.
// Every playback is permission-gated (recordings.play) and audited.
import { Type } from 'typebox';
import type { AuditLog } from '../audit/types.js';
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

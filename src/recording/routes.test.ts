import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryAuditLog } from '../audit/memory.js';
import { createLogger } from '../platform/logger.js';
import { newId } from '../platform/ids.js';
import type { Permission } from '../platform/permissions.js';
import { createHttpApp } from '../server/http/app.js';
import type { Principal, WardApp } from '../server/http/types.js';
import { createRecordingReader } from './files.js';
import { createLocalRecordingKeys } from './local-keys.js';
import { createRecorder } from './recorder.js';
import { recordingRoutes } from './routes.js';
import { PassThrough } from 'node:stream';
import { readFileSync } from 'node:fs';
import { runCli } from '../cli/main.js';
import { createCliContext } from '../cli/context.js';

const keys = createLocalRecordingKeys();
const directory = mkdtempSync(join(tmpdir(), 'ward-rec-routes-'));
const audit = createMemoryAuditLog();
const sessionId = newId();
let app: WardApp;

const principal = (permissions: Permission[]): Principal => ({
  userId: 'user-analyst',
  username: 'analyst',
  displayName: 'Analyst',
  kind: 'human',
  permissions: new Set(permissions),
  credential: { kind: 'session', id: 's1' },
  mfaEnrolled: true,
  mfaVerifiedAt: Date.now(),
});

beforeAll(async () => {
  const recorder = await createRecorder(join(directory, `${sessionId}-1.cast.enc`), keys, { width: 80, height: 24, timestamp: 1 });
  recorder.output(Buffer.from('patient list printed\r\n'));
  await recorder.close();
  ({ app } = await createHttpApp({
    logger: createLogger({ level: 'silent' }),
    authenticator: {
      async authenticate(token) {
        return principal(token === 'player' ? ['recordings.play'] : []);
      },
    },
    routes: [recordingRoutes({ reader: createRecordingReader({ directory, keys }), audit })],
    bodyLimitBytes: 1024 * 1024,
    stepUpMaxAgeSeconds: 300,
    metrics: new Registry(),
    ready: async () => ({ ready: true, checks: {} }),
    now: () => Date.now(),
  }));
});
afterAll(async () => app?.close());

describe('recording playback over HTTP', () => {
  it('returns plain asciicast for a session to a holder of recordings.play and audits the playback', async () => {
    const response = await app.inject({ url: `/api/v1/recordings/${sessionId}`, headers: { authorization: 'Bearer player' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-asciicast');
    expect(response.body.split('\n')[1]).toContain('patient list printed');
    expect(audit.find('recording.played').at(-1)).toMatchObject({ actor: { id: 'user-analyst' }, target: { id: `${sessionId}-1` } });
  });

  it('refuses callers without recordings.play and answers 404 for unknown recordings', async () => {
    const denied = await app.inject({ url: `/api/v1/recordings/${sessionId}`, headers: { authorization: 'Bearer nobody' } });
    expect(denied.statusCode).toBe(403);
    const missing = await app.inject({ url: `/api/v1/recordings/${newId()}`, headers: { authorization: 'Bearer player' } });
    expect(missing.statusCode).toBe(404);
  });
});

describe('ward recording export and ward play', () => {
  it('export writes the asciicast to a file and play prints the recorded output', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const env = { WARD_URL: address, WARD_TOKEN: 'player', WARD_DATA_DIR: directory, WARD_SESSION_FILE: join(directory, 'none.json') };
    const run = async (argv: string[]) => {
      const context = createCliContext(env);
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      context.out = out;
      context.err = out;
      const code = await runCli(argv, context);
      return { code, text };
    };
    const file = join(directory, 'export.cast');
    expect((await run(['recording', 'export', sessionId, '-o', file])).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!)).toMatchObject({ version: 2 });
    const played = await run(['play', sessionId, '--speed', '100']);
    expect(played.code).toBe(0);
    expect(played.text).toBe('patient list printed\r\n');
  });
});

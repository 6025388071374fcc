// The watch route over a real socket: the asciicast event stream, its end with the termination reason, and what
// happens when the viewer goes away (the session keeps running, the watcher and the connection are released).
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryAuditLog } from '../../audit/memory.js';
import { createLogger } from '../../platform/logger.js';
import type { Permission } from '../../platform/permissions.js';
import { createManualClock } from '../../platform/clock.js';
import { createHttpApp } from '../../server/http/app.js';
import type { Principal, WardApp } from '../../server/http/types.js';
import { createLiveSessionRegistry, type LiveSession, type WatchListener } from './live.js';
import { sshSessionRoutes } from './routes.js';

const SESSION_ID = '0190a0b0-0000-7000-8000-00000000a11c';
const audit = createMemoryAuditLog();
const registry = createLiveSessionRegistry(createManualClock(Date.now()));
let app: WardApp;
let base = '';
let watchers: Set<WatchListener>;
let terminated: string[] = [];

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

function addSession(): void {
  watchers = new Set();
  const session: LiveSession = {
    info: { id: SESSION_ID, userId: 'user-alice', username: 'alice', target: 'ehr-db-01', account: 'root', zone: 'ehr', grantId: null, clientAddress: '127.0.0.1', startedAt: 1, lastActivityAt: 1, channels: ['shell'], recordings: [], terminal: { cols: 132, rows: 40 } },
    active: false,
    idleTimeoutMs: 0,
    watchers,
    // The gateway's close path removes the session from the registry; so does this stand-in.
    terminate: (reason) => {
      terminated.push(reason);
      queueMicrotask(() => registry.remove(SESSION_ID));
    },
  };
  registry.add(session);
}

const emit = (code: 'o' | 'r', data: Buffer | string) => watchers.forEach((watcher) => watcher({ code, data }));

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, done: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text;
}

beforeAll(async () => {
  ({ app } = await createHttpApp({
    logger: createLogger({ level: 'silent' }),
    authenticator: {
      async authenticate(token) {
        return principal(token === 'watcher' ? ['sessions.watch', 'sessions.terminate'] : ['sessions.read']);
      },
    },
    routes: [sshSessionRoutes({ sessions: registry, audit })],
    bodyLimitBytes: 1024 * 1024,
    stepUpMaxAgeSeconds: 300,
    metrics: new Registry(),
    ready: async () => ({ ready: true, checks: {} }),
    now: () => Date.now(),
  }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => app?.close());

describe('watching a live session over HTTP', () => {
  it('streams output as asciicast events, decodes UTF-8 split across chunks, and ends with the termination reason', async () => {
    terminated = [];
    addSession();
    const response = await fetch(`${base}/api/v1/gateway/ssh/sessions/${SESSION_ID}/watch`, { headers: { authorization: 'Bearer watcher' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const header = await readUntil(reader, (text) => text.includes('\n\n'));
    // The watcher's terminal starts at the client's size.
    expect(JSON.parse(header.slice('data: '.length))).toMatchObject({ cols: 132, rows: 40 });
    expect(watchers.size).toBe(1);
    const heart = Buffer.from('vital signs ♥\r\n');
    emit('o', heart.subarray(0, 13)); // splits the three-byte heart
    emit('o', heart.subarray(13));
    emit('r', '120x40');
    let text = await readUntil(reader, (t) => t.includes('120x40'));
    const events = text.split('\n\n').filter(Boolean).map((line) => JSON.parse(line.slice('data: '.length)) as [number, string, string]);
    expect(events.map((e) => e[1])).toEqual(['o', 'o', 'r']);
    expect(events.map((e) => e[2]).join('')).toBe('vital signs ♥\r\n120x40');
    expect(audit.find('gateway.ssh.session.watched').at(-1)).toMatchObject({ actor: { id: 'user-analyst' }, target: { id: 'user-alice', system: 'ehr-db-01' }, sessionId: SESSION_ID });

    const ended = await fetch(`${base}/api/v1/gateway/ssh/sessions/${SESSION_ID}/terminate`, { method: 'POST', headers: { authorization: 'Bearer watcher', 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'suspicious export' }) });
    expect(ended.status).toBe(200);
    text = await readUntil(reader, () => false); // to the end of the stream
    expect(text).toContain('event: done\ndata: {"reason":"suspicious export"}');
    expect(terminated).toEqual(['suspicious export']);
    expect(watchers.size).toBe(0);
  });

  it('stops watching when the viewer disconnects, leaving the session running', async () => {
    addSession();
    const connections = () => new Promise<number>((resolve) => app.server.getConnections((_error, count) => resolve(count)));
    const before = await connections(); // idle keep-alive connections of the test before
    const viewer = request(`${base}/api/v1/gateway/ssh/sessions/${SESSION_ID}/watch`, { headers: { authorization: 'Bearer watcher' } });
    viewer.end();
    const response = await new Promise<IncomingMessage>((resolve) => viewer.once('response', resolve));
    await new Promise((resolve) => response.once('data', resolve));
    expect(watchers.size).toBe(1);
    viewer.destroy();
    try {
      for (let i = 0; i < 100 && watchers.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(watchers.size).toBe(0);
      for (let i = 0; i < 100 && (await connections()) > before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await connections()).toBe(before);
      expect(registry.get(SESSION_ID)).toBeDefined();
    } finally {
      registry.remove(SESSION_ID);
    }
  });

  it('cuts off a viewer that cannot keep up instead of buffering the session without bound', async () => {
    addSession();
    const viewer = request(`${base}/api/v1/gateway/ssh/sessions/${SESSION_ID}/watch`, { headers: { authorization: 'Bearer watcher' } });
    viewer.end();
    const response = await new Promise<IncomingMessage>((resolve) => viewer.once('response', resolve));
    try {
      response.pause(); // a viewer that reads nothing
      await new Promise((resolve) => setTimeout(resolve, 50));
      const screenful = Buffer.alloc(64 * 1024, 'x');
      for (let i = 0; i < 400 && watchers.size > 0; i++) emit('o', screenful);
      expect(watchers.size).toBe(0);
      expect(registry.get(SESSION_ID)).toBeDefined(); // the session goes on
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.resume();
      await new Promise((resolve) => response.once('end', resolve));
      expect(text).toContain('could not keep up');
    } finally {
      viewer.destroy();
      registry.remove(SESSION_ID);
    }
  });

  it('refuses callers without sessions.watch and answers 404 for a session that is not live', async () => {
    const denied = await app.inject({ url: `/api/v1/gateway/ssh/sessions/${SESSION_ID}/watch`, headers: { authorization: 'Bearer reader' } });
    expect(denied.statusCode).toBe(403);
    const missing = await app.inject({ url: `/api/v1/gateway/ssh/sessions/${SESSION_ID}/watch`, headers: { authorization: 'Bearer watcher' } });
    expect(missing.statusCode).toBe(404);
  });
});

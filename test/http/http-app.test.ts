import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../src/server/http/app.js';
import type { Principal, WardApp } from '../../src/server/http/types.js';
import { createLogger } from '../../src/platform/logger.js';
import { WardError } from '../../src/platform/errors.js';

const principal = (mfaVerifiedAt: number | null, permissions: string[] = ['identity.users.read']): Principal => ({
  userId: 'u1',
  username: 'alice',
  displayName: 'Alice',
  kind: 'human',
  permissions: new Set(permissions) as Principal['permissions'],
  credential: { kind: 'session', id: 's1' },
  mfaEnrolled: true,
  mfaVerifiedAt,
});

const now = 1_000_000;
let app: WardApp;

beforeAll(async () => {
  const built = await createHttpApp({
    logger: createLogger({ level: 'silent' }),
    bodyLimitBytes: 1024,
    stepUpMaxAgeSeconds: 300,
    metrics: new Registry(),
    now: () => now,
    ready: async () => ({ ready: true, checks: { database: true } }),
    authenticator: {
      async authenticate(token) {
        if (token === 'fresh') return principal(now - 1000);
        if (token === 'stale') return principal(now - 301_000);
        if (token === 'unenrolled') return { ...principal(null), mfaEnrolled: false };
        throw new WardError('AUTH_REQUIRED');
      },
    },
    routes: [
      (scope) => {
        scope.post(
          '/api/v1/things',
          {
            config: { access: 'identity.users.read' },
            schema: {
              body: Type.Object({ name: Type.String({ maxLength: 20 }) }, { additionalProperties: false }),
              response: { 200: Type.Object({ name: Type.String() }) },
            },
          },
          async (request) => ({ name: request.body.name }),
        );
        scope.post('/api/v1/danger', { config: { access: 'identity.users.read', stepUp: true } }, async () => ({ ok: true }));
        scope.get('/api/v1/boom', { config: { access: 'public' } }, async () => {
          throw new Error('secret internals');
        });
      },
    ],
  });
  app = built.app;
});
afterAll(() => app.close());

const post = (url: string, payload: string, token = 'fresh') =>
  app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });

describe('HTTP error contract', () => {
  it('accepts a valid body', async () => {
    const res = await post('/api/v1/things', '{"name":"pacs-01"}');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'pacs-01' });
  });

  it('answers malformed JSON with MALFORMED_JSON', async () => {
    const res = await post('/api/v1/things', '{"name":');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MALFORMED_JSON');
  });

  it('refuses unknown fields instead of dropping them', async () => {
    const res = await post('/api/v1/things', '{"name":"x","isAdmin":true}');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.json().error.message).toContain('isAdmin');
  });

  it('refuses oversized bodies with BODY_TOO_LARGE', async () => {
    const res = await post('/api/v1/things', JSON.stringify({ name: 'x'.repeat(5000) }));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('BODY_TOO_LARGE');
  });

  it('asks anonymous callers to sign in before looking at the body', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/things', payload: 'not json', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
  });

  it('requires MFA enrolment for privileged routes', async () => {
    const res = await post('/api/v1/things', '{"name":"x"}', 'unenrolled');
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('AUTH_MFA_ENROLMENT_REQUIRED');
  });

  it('demands step-up when the MFA proof is older than the limit', async () => {
    expect((await post('/api/v1/danger', '{}', 'fresh')).statusCode).toBe(200);
    const res = await post('/api/v1/danger', '{}', 'stale');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_STEP_UP_REQUIRED');
  });

  it('hides internals of unexpected errors behind INTERNAL with a request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
    expect(res.body).not.toContain('secret internals');
  });

  it('answers unknown routes with NOT_FOUND in the same shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('publishes OpenAPI 3 including the declared routes and bearer security', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/v1/things'].post.security).toEqual([{ bearer: [] }]);
  });

  it('refuses to build an app with a route that declares no access', async () => {
    await expect(
      createHttpApp({
        logger: createLogger({ level: 'silent' }),
        bodyLimitBytes: 1024,
        stepUpMaxAgeSeconds: 300,
        metrics: new Registry(),
        now: () => now,
        ready: async () => ({ ready: true, checks: {} }),
        authenticator: { authenticate: async () => principal(null) },
        routes: [(scope) => void scope.get('/api/v1/open', async () => ({}))],
      }),
    ).rejects.toThrow(/does not declare config.access/);
  });
});

// Serving the console from Ward itself: the page at `/`, deep links falling back to index.html, fingerprinted
// assets cached for good, and unknown API paths keeping the API's JSON error shape instead of getting HTML.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../src/server/http/app.js';
import { consoleExtension } from '../../src/server/console.js';
import { createLogger } from '../../src/platform/logger.js';
import { WardError } from '../../src/platform/errors.js';
import type { WardApp } from '../../src/server/http/types.js';

async function appWith(root: string | null) {
  const { app, routes } = await createHttpApp({
    logger: createLogger({ level: 'silent' }),
    authenticator: {
      async authenticate() {
        throw new WardError('AUTH_REQUIRED');
      },
    },
    routes: [
      (scope) => {
        scope.get('/api/v1/ping', { config: { access: 'public' } }, async () => ({ ok: true }));
      },
    ],
    bodyLimitBytes: 1024,
    stepUpMaxAgeSeconds: 300,
    metrics: new Registry(),
    now: Date.now,
    ready: async () => ({ ready: true, checks: {} }),
    extend: consoleExtension({ root }),
  });
  return { app, routes };
}

describe('web console served by Ward', () => {
  const root = mkdtempSync(join(tmpdir(), 'ward-console-'));
  let app: WardApp;
  let routes: { method: string; url: string; access: string }[];

  beforeAll(async () => {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Ward</title><div id="root"></div>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("ward")');
    ({ app, routes } = await appWith(root));
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the page at / with a strict content security policy and no caching', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('<div id="root">');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('answers deep links with the page so a reload on /approvals works', async () => {
    const response = await app.inject({ method: 'GET', url: '/approvals?x=1' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<div id="root">');
  });

  it('serves fingerprinted assets with a long cache lifetime', async () => {
    const response = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('console.log("ward")');
    expect(response.headers['cache-control']).toContain('immutable');
  });

  it('does not leak files outside the console folder', async () => {
    const response = await app.inject({ method: 'GET', url: '/..%2f..%2fetc%2fpasswd' });
    expect(response.body).not.toContain('root:');
  });

  it('keeps the API error shape for unknown API paths and leaves API routes alone', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route GET /api/v1/nothing-here.' } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/ping' })).json()).toEqual({ ok: true });
    const posted = await app.inject({ method: 'POST', url: '/approvals' });
    expect(posted.statusCode).toBe(404);
    expect(posted.json().error.code).toBe('NOT_FOUND');
  });

  it('declares every console route public', () => {
    const consoleRoutes = routes.filter((r) => !r.url.startsWith('/api') && !['/healthz', '/readyz', '/metrics'].includes(r.url));
    expect(consoleRoutes.map((r) => r.url).sort()).toEqual(['/', '/*']);
    expect(consoleRoutes.every((r) => r.access === 'public')).toBe(true);
  });

  it('explains how to build the console when it is missing', async () => {
    const bare = await appWith(null);
    try {
      const response = await bare.app.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('npm run build:web');
    } finally {
      await bare.app.close();
    }
  });
});

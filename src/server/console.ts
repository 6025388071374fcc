// Serves the web console (web/dist, built by `npm run build:web`) at `/`, with an SPA fallback to index.html for
// every GET outside /api, so deep links like /approvals reload. The console itself talks only to /api/v1.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { WardApp } from './http/types.js';

/** Finds web/dist by walking up from this module (src/server in development, dist/src/server when built). */
export function findConsoleRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return null;
}

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ward</title></head>
<body><main><h1>Ward</h1><p>The web console is not built. Run <code>npm run build:web</code> and restart Ward.
The API is at <a href="/api/openapi.json">/api/openapi.json</a>.</p></main></body></html>`;

/** The `extend` hook for createHttpApp: GET / and GET /* (public: the page is static, the API checks every call). */
export function consoleExtension(options: { root?: string | null } = {}): (app: WardApp) => Promise<void> {
  return async (app) => {
    const root = options.root === undefined ? findConsoleRoot() : options.root ? resolve(options.root) : null;
    const page = { config: { access: 'public' as const }, schema: { hide: true } };
    if (!root) {
      app.get('/', page, async (_request, reply) => reply.type('text/html; charset=utf-8').send(notBuilt));
      return;
    }
    await app.register(fastifyStatic, { root, serve: false, decorateReply: true });
    const index = (reply: FastifyReply) =>
      reply.header('cache-control', 'no-cache').header('content-security-policy', csp).sendFile('index.html', root, { cacheControl: false });
    app.get('/', page, async (_request, reply) => index(reply));
    app.get('/*', page, async (request, reply) => {
      const path = request.url.split('?')[0]!;
      // Unknown API paths keep the API's error shape instead of getting the console's HTML.
      if (path.startsWith('/api/') || path === '/api') {
        return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No route GET ${path}.` } });
      }
      const file = decodeURIComponent(path.slice(1));
      if (file && !file.includes('..') && existsSync(join(root, file)) && !file.endsWith('/')) {
        // Vite fingerprints everything under assets/, so it may be cached for good.
        if (file.startsWith('assets/')) return reply.sendFile(file, root, { maxAge: '365d', immutable: true });
        return reply.sendFile(file, root);
      }
      return index(reply);
    });
  };
}

// The console loads only its own bundle; inline styles are allowed for Chart.js canvases sizing.
const csp = [
  "default-src 'self'",
  // asciinema-player's terminal emulator is WebAssembly; 'wasm-unsafe-eval' lets it compile, and allows no JS eval.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

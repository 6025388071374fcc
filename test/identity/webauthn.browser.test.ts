/* eslint-disable @typescript-eslint/no-explicit-any -- API replies are JSON checked field by field in the tests */
// Passkeys end to end in real headless Chromium with a CDP virtual authenticator: register, sign in as a second
// factor, sign in with the passkey alone, and step up. The page is served by the same HTTP app at
// http://localhost:PORT so the relying party id is `localhost`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../support/ports.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Type } from 'typebox';
import { describeEachDialect, noteSkipped } from '../support/dialects.js';
import type { RouteModule } from '../../src/server/http/types.js';
import { createIdentityHarness, strongPassword, type IdentityHarness } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent) {
  if (inCi) throw new Error(`Chromium is required in CI for the WebAuthn end-to-end test (${CHROMIUM} is missing)`);
  noteSkipped('identity webauthn in Chromium', `${CHROMIUM} not installed`);
}

const browserBundle = readFileSync(
  join(dirname(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser'))), 'dist/bundle/index.umd.min.js'),
  'utf8',
);

const page = `<!doctype html><html><head><meta charset="utf-8"><title>Ward passkey test</title>
<script src="/test/simplewebauthn.js"></script></head><body><script>
async function api(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}
window.ward = {
  api,
  async register(token) {
    const start = await api('POST', '/api/v1/me/mfa/webauthn/options', undefined, token);
    const response = await SimpleWebAuthnBrowser.startRegistration({ optionsJSON: start.body.options });
    return api('POST', '/api/v1/me/mfa/webauthn', { challenge: start.body.challenge, response, name: 'test passkey' }, token);
  },
  async secondFactor(challenge) {
    const start = await api('POST', '/api/v1/auth/mfa/webauthn/options', { challenge });
    const response = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: start.body.options });
    return api('POST', '/api/v1/auth/mfa/webauthn', { challenge, response });
  },
  async passkeyOnly() {
    const start = await api('POST', '/api/v1/auth/passkey/options');
    const response = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: start.body.options });
    return api('POST', '/api/v1/auth/passkey', { challenge: start.body.challenge, response });
  },
  async stepUp(token) {
    const start = await api('POST', '/api/v1/auth/step-up/webauthn/options', undefined, token);
    const response = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: start.body.options });
    return api('POST', '/api/v1/auth/step-up/webauthn', { challenge: start.body.challenge, response }, token);
  },
};
</script></body></html>`;

const testPage: RouteModule = (app) => {
  app.get('/test/passkeys', { config: { access: 'public' }, schema: { hide: true, response: { 200: Type.String() } } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  app.get('/test/simplewebauthn.js', { config: { access: 'public' }, schema: { hide: true, response: { 200: Type.String() } } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(browserBundle),
  );
};

describeEachDialect('identity passkeys in Chromium', (ctx) => {
  let h: IdentityHarness;
  let context: BrowserContext;
  let browserPage: Page;
  let userDataDir: string;

  beforeAll(async () => {
    if (!chromiumPresent) return;
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    h = await createIdentityHarness(ctx.database.db, { webauthn: { rpId: 'localhost', rpName: 'Ward', origins: [origin] }, extraRoutes: [testPage], realClock: true });
    await h.app.listen({ host: '127.0.0.1', port });
    userDataDir = mkdtempSync(join(tmpdir(), 'ward-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP localhost 127.0.0.1'],
    });
    browserPage = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(browserPage);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await browserPage.goto(`${origin}/test/passkeys`);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it.skipIf(!chromiumPresent)('registers a passkey, then signs in with it as a second factor, alone, and for step-up', async () => {
    await h.service.createUser({ username: 'pia', displayName: 'Pia Passkey', password: strongPassword }, { system: 'test' });
    type Reply = { status: number; body: any };
    const api = (method: string, path: string, body?: unknown, token?: string) =>
      browserPage.evaluate(([m, p, b, t]) => (globalThis as any).ward.api(m, p, b ?? undefined, t ?? undefined), [method, path, body ?? null, token ?? null] as const) as Promise<Reply>;

    const first = await api('POST', '/api/v1/auth/login', { username: 'pia', password: strongPassword });
    expect(first.status).toBe(200);
    const registered = (await browserPage.evaluate((t) => (globalThis as any).ward.register(t), first.body.token)) as Reply;
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    expect(registered.body.recoveryCodes).toHaveLength(10);
    expect(h.audit.find('auth.mfa.enrolled').at(-1)?.details?.method).toBe('webauthn');

    const login = await api('POST', '/api/v1/auth/login', { username: 'pia', password: strongPassword });
    expect(login.body).toMatchObject({ mfaRequired: true, methods: ['webauthn', 'recovery'] });
    const second = (await browserPage.evaluate((c) => (globalThis as any).ward.secondFactor(c), login.body.challenge)) as Reply;
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.token).toMatch(/^wss_/);
    const me = await api('GET', '/api/v1/me', undefined, second.body.token);
    expect(me.body.user.username).toBe('pia');
    expect(me.body.mfa.webauthnCredentials).toBe(1);
    expect(me.body.mfa.verifiedAt).toEqual(expect.any(Number));

    const alone = (await browserPage.evaluate(() => (globalThis as any).ward.passkeyOnly())) as Reply;
    expect(alone.status, JSON.stringify(alone.body)).toBe(200);
    const aloneMe = await api('GET', '/api/v1/me', undefined, alone.body.token);
    expect(aloneMe.body.user.username).toBe('pia');
    expect(h.audit.find('auth.login').filter((e) => e.outcome === 'success').map((e) => e.details?.method)).toEqual(['password', 'webauthn', 'passkey']);

    const stepped = (await browserPage.evaluate((t) => (globalThis as any).ward.stepUp(t), alone.body.token)) as Reply;
    expect(stepped.status, JSON.stringify(stepped.body)).toBe(200);
    expect(stepped.body.mfaVerifiedAt).toEqual(expect.any(Number));

    const passkeys = await api('GET', '/api/v1/me/mfa/webauthn', undefined, alone.body.token);
    expect(passkeys.body.items).toHaveLength(1);
    expect(passkeys.body.items[0]).toMatchObject({ name: 'test passkey', lastUsedAt: expect.any(Number) });

    // A passkey response replayed against a new challenge is refused.
    const replayStart = await api('POST', '/api/v1/auth/passkey/options');
    const replay = await api('POST', '/api/v1/auth/passkey', { challenge: replayStart.body.challenge, response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('AUTH_MFA_INVALID');

    const removed = await api('DELETE', `/api/v1/me/mfa/webauthn/${passkeys.body.items[0].id}`, undefined, alone.body.token);
    expect(removed.status).toBe(200);
    const after = await api('POST', '/api/v1/auth/login', { username: 'pia', password: strongPassword });
    expect(after.body.methods ?? []).not.toContain('webauthn');
  });
});

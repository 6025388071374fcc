// The server as an operator meets it: `ward init` (data dir 0700, key file 0600, one-time admin password shown
// once), HTTPS with a generated pair under WARD_TLS=auto, health, readiness and Prometheus metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, statSync, readdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import { createCliContext } from '../../src/cli/context.js';
import { loadConfig } from '../../src/platform/config.js';
import { createWard, type Ward } from '../../src/server/compose.js';
import { startTestWard, signInWithTotp, ADMIN_PASSWORD, type TestWard } from '../support/ward.js';

async function cli(args: string[], env: Record<string, string>) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const context = createCliContext(env);
  context.out = out;
  context.err = err;
  const code = await runCli(args, context);
  return { code, stdout, stderr };
}

describe('ward init', () => {
  it('creates an owner-only data dir and key file, and shows the admin password exactly once', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ward-init-')), 'data');
    const env = { WARD_DATA_DIR: dataDir, WARD_LOG_LEVEL: 'silent' };
    const first = await cli(['init'], env);
    expect(first.code).toBe(0);
    const password = /one-time password: (\S+)/.exec(first.stdout)?.[1];
    expect(password).toBeTruthy();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'vault-kek.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'ward.db')).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dataDir, 'keys')).sort()).toEqual(expect.arrayContaining(['audit-ed25519.key', 'audit-ed25519.pub']));

    const second = await cli(['init'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already initialised');
    expect(second.stdout).not.toContain(password!);

    // The printed password signs in (and the admin is then asked to enrol MFA before anything privileged).
    const ward = await createWard({ config: loadConfig(env) });
    try {
      const login = await ward.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password } });
      expect(login.statusCode).toBe(200);
      const token = login.json().token as string;
      const privileged = await ward.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${token}` } });
      expect(privileged.statusCode).toBe(403);
      expect(privileged.json().error.code).toBe('AUTH_MFA_ENROLMENT_REQUIRED');
    } finally {
      await ward.close();
    }
  });

  it('lists every command with --help', async () => {
    const help = await cli(['--help'], {});
    for (const command of ['init', 'serve', 'demo', 'login', 'request', 'approve', 'breakglass', 'audit', 'inventory', 'keys', 'backup']) {
      expect(help.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    }
  });
});

describe('serving', () => {
  let t: TestWard;
  let ward: Ward;
  let url: string;
  beforeAll(async () => {
    t = await startTestWard('sqlite', { WARD_TLS: 'auto' });
    ward = t.ward;
    url = (await ward.listen()).url;
  });
  afterAll(() => t?.close());

  function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; certificate: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${url}${path}`, { rejectUnauthorized: false, headers }, (res) => {
        const certificate = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? '');
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, certificate }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves HTTPS with the self-signed pair made for WARD_TLS=auto', async () => {
    expect(url.startsWith('https://')).toBe(true);
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.certificate).toBe('127.0.0.1');
  });

  it('reports readiness with the database, migrations and audit trail checked', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { database: true, migrations: true, audit: true } });
  });

  it('serves Prometheus metrics only to a holder of metrics.read (an API token)', async () => {
    expect((await get('/metrics')).status).toBe(401);
    const admin = await signInWithTotp(t, 'admin', ADMIN_PASSWORD);
    const created = await ward.app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { name: 'prometheus', scopes: ['metrics.read'], expiresInSeconds: 3600 },
    });
    expect(created.statusCode, created.body).toBeLessThan(300);
    const metrics = await get('/metrics', { authorization: `Bearer ${created.json().token}` });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('ward_audit_events_appended_total');
    expect(metrics.body).toContain('ward_access_');
    expect(metrics.body).toContain('ward_process_cpu');
  });
});

// The inventory and vault over HTTP, and the proofs that no stored secret appears in plaintext in the SQLite file,
// a pg_dump of the PostgreSQL database, the captured logs or the audit trail.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeEachDialect } from '../support/dialects.js';
import { buildVault } from './fixtures.js';
import { buildTestApp } from './http.js';
import { sqlitePathFromUrl } from '../../src/platform/database/connect.js';
import { generateBackupKeyPair, openBackup } from '../../src/vault/backup.js';

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describeEachDialect('vault over HTTP', (ctx) => {
  let env: Awaited<ReturnType<typeof buildVault>>;
  let http: Awaited<ReturnType<typeof buildTestApp>>;
  const known = ['Known-Plaintext-Password-#1', 'known-api-token-value-0042', 'Rotated-Known-Password-#2'];
  let accountId = '';
  let secretId = '';

  beforeAll(async () => {
    env = await buildVault(ctx.database.db);
    http = await buildTestApp({ db: ctx.database.db, vault: env.vault, inventory: env.inventory, clock: env.clock, dialect: ctx.dialect });
  });
  afterAll(async () => {
    await http?.app.close();
  });

  it('builds inventory over the API and refuses callers without the permission', async () => {
    const zone = await http.app.inject({ method: 'POST', url: '/api/v1/zones', headers: auth('admin-token'), payload: { name: 'Clinical', gatewayIds: ['gw-1'] } });
    expect(zone.statusCode).toBe(201);
    const target = await http.app.inject({
      method: 'POST',
      url: '/api/v1/targets',
      headers: auth('admin-token'),
      payload: { name: 'ehr-app-01', address: 'ehr.local', protocols: ['ssh'], zone: 'Clinical', criticality: 'clinical-critical', ephiSensitivity: 'full' },
    });
    expect(target.json()).toMatchObject({ riskTier: 'critical' });
    const account = await http.app.inject({ method: 'POST', url: `/api/v1/targets/${target.json().id}/accounts`, headers: auth('admin-token'), payload: { username: 'root', kind: 'human-admin', privilegeLevel: 'root' } });
    expect(account.statusCode).toBe(201);
    accountId = account.json().id;
    const denied = await http.app.inject({ method: 'POST', url: '/api/v1/zones', headers: auth('reader-token'), payload: { name: 'Nope' } });
    expect(denied.json().error.code).toBe('PERMISSION_DENIED');
    const unknownField = await http.app.inject({ method: 'POST', url: '/api/v1/zones', headers: auth('admin-token'), payload: { name: 'X', colour: 'red' } });
    expect(unknownField.json().error.code).toBe('VALIDATION_FAILED');
    const imported = await http.app.inject({
      method: 'POST',
      url: '/api/v1/inventory/import',
      headers: auth('admin-token'),
      payload: { format: 'yaml', content: 'targets:\n  - { name: lab-01, address: lab.local, protocols: [ssh], zone: Clinical, criticality: low, ephi: none, accounts: [{ username: svc, kind: service }] }\n' },
    });
    expect(imported.json()).toMatchObject({ targetsCreated: 1, accountsCreated: 1 });
  });

  it('updates and deletes inventory with the right status codes and pages through lists', async () => {
    const targets = await http.app.inject({ method: 'GET', url: '/api/v1/targets?limit=1', headers: auth('reader-token') });
    expect(targets.json().items).toHaveLength(1);
    expect(targets.json().nextCursor).not.toBeNull();
    const next = await http.app.inject({ method: 'GET', url: `/api/v1/targets?limit=1&cursor=${targets.json().nextCursor}`, headers: auth('reader-token') });
    expect(next.json().items[0].id).not.toBe(targets.json().items[0].id);
    const lab = next.json().items.concat(targets.json().items).find((t: { name: string }) => t.name === 'lab-01');
    const patched = await http.app.inject({ method: 'PATCH', url: `/api/v1/targets/${lab.id}`, headers: auth('admin-token'), payload: { criticality: 'high', ephiSensitivity: 'full' } });
    expect(patched.json()).toMatchObject({ riskTier: 'critical', name: 'lab-01' });
    const zoneId = lab.zoneId as string;
    const busy = await http.app.inject({ method: 'DELETE', url: `/api/v1/zones/${zoneId}`, headers: auth('admin-token') });
    expect(busy.statusCode).toBe(409);
    const missing = await http.app.inject({ method: 'GET', url: '/api/v1/targets/00000000-0000-7000-8000-000000000000', headers: auth('reader-token') });
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('stores secrets, lists metadata only, and reveals only with fresh MFA and a reason code', async () => {
    const stored = await http.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/secrets`, headers: auth('admin-token'), payload: { kind: 'password', value: known[0] } });
    expect(stored.statusCode).toBe(201);
    secretId = stored.json().id;
    await http.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/secrets`, headers: auth('admin-token'), payload: { kind: 'api-token', value: known[1] } });
    const listed = await http.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/secrets`, headers: auth('reader-token') });
    expect(listed.statusCode).toBe(200);
    for (const value of known) expect(listed.body).not.toContain(value);

    const body = { reasonCode: 'HSYSADMIN', justification: 'restart service', ticket: 'INC-7' };
    const stale = await http.app.inject({ method: 'POST', url: `/api/v1/secrets/${secretId}/reveal`, headers: auth('stale-token'), payload: body });
    expect(stale.json().error.code).toBe('AUTH_STEP_UP_REQUIRED');
    const noReason = await http.app.inject({ method: 'POST', url: `/api/v1/secrets/${secretId}/reveal`, headers: auth('admin-token'), payload: { justification: 'x' } });
    expect(noReason.json().error.code).toBe('VALIDATION_FAILED');
    const reader = await http.app.inject({ method: 'POST', url: `/api/v1/secrets/${secretId}/reveal`, headers: auth('reader-token'), payload: body });
    expect(reader.json().error.code).toBe('PERMISSION_DENIED');
    const shown = await http.app.inject({ method: 'POST', url: `/api/v1/secrets/${secretId}/reveal`, headers: auth('admin-token'), payload: body });
    expect(shown.json()).toEqual({ secretId, version: 1, value: known[0] });
    expect(shown.headers['cache-control']).toBe('no-store');
    expect(env.audit.find('vault.secret.revealed').at(-1)).toMatchObject({ outcome: 'success', reasonCode: 'HSYSADMIN', ticket: 'INC-7' });

    const tooLarge = await http.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/secrets`, headers: auth('admin-token'), payload: { kind: 'password', value: 'y'.repeat(100_000) } });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.code).toBe('SECRET_TOO_LARGE');
  });

  it('checks out exclusively over the API and answers CHECKED_OUT to the second caller', async () => {
    const payload = { durationSeconds: 1800, reason: 'emergency patch', reasonCode: 'HSYSADMIN', ticket: 'CHG-9' };
    const first = await http.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/checkout`, headers: auth('alice-token'), payload });
    expect(first.statusCode).toBe(201);
    const second = await http.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/checkout`, headers: auth('admin-token'), payload });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('CHECKED_OUT');
    const checkin = await http.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/checkin`, headers: auth('alice-token') });
    expect(checkin.json()).toMatchObject({ endReason: 'checked-in' });
    const secrets = await http.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/secrets`, headers: auth('reader-token') });
    expect(secrets.json().items.every((s: { status: string }) => s.status === 'rotation_due')).toBe(true);
    await http.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/secrets`, headers: auth('admin-token'), payload: { kind: 'password', value: known[2] } });
  });

  it('rotates keys and lists every algorithm and key in the crypto inventory', async () => {
    const rotation = await http.app.inject({ method: 'POST', url: '/api/v1/keys/rotate', headers: auth('admin-token') });
    expect(rotation.statusCode).toBe(202);
    await env.vault.waitForRotation();
    const keys = await http.app.inject({ method: 'GET', url: '/api/v1/keys', headers: auth('admin-token') });
    expect(keys.json().keks.map((k: { state: string }) => k.state)).toEqual(['retired', 'active']);
    const inventory = await http.app.inject({ method: 'GET', url: '/api/v1/crypto/inventory', headers: auth('admin-token') });
    const items = inventory.json().items as Array<{ category: string; algorithm: string; objects: number | null; version: number | null }>;
    expect(items.find((i) => i.category === 'key-encryption-key' && i.version === 2)).toMatchObject({ objects: 3 });
    expect(items.find((i) => i.category === 'data-encryption')).toMatchObject({ algorithm: 'AES-256-GCM', objects: 3 });
    expect(items.some((i) => i.algorithm.includes('ML-KEM-768'))).toBe(true);
  });

  it('streams an encrypted backup over the API for a recipient key, with step-up', async () => {
    const keys = generateBackupKeyPair();
    const bad = await http.app.inject({ method: 'POST', url: '/api/v1/backups', headers: auth('admin-token'), payload: { recipientPublicKey: 'ward-backup-public-v1:nonsense' } });
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const stale = await http.app.inject({ method: 'POST', url: '/api/v1/backups', headers: auth('stale-token'), payload: { recipientPublicKey: keys.publicKey } });
    expect(stale.json().error.code).toBe('AUTH_STEP_UP_REQUIRED');
    const response = await http.app.inject({ method: 'POST', url: '/api/v1/backups', headers: auth('admin-token'), payload: { recipientPublicKey: keys.publicKey } });
    expect(response.statusCode).toBe(200);
    const opened = openBackup(response.rawPayload, keys.secretKey);
    expect(opened.tables.find((t) => t.table === 'vault_secrets')?.rows.length).toBe(2);
    for (const value of known) expect(response.rawPayload.includes(Buffer.from(value))).toBe(false);
  });

  it('leaves no stored secret in plaintext in the database, its dump, the logs or the audit trail', async () => {
    const haystacks: Array<[string, Buffer]> = [['logs', Buffer.from(http.logs.join(''))], ['audit', Buffer.from(JSON.stringify(env.audit.events))]];
    expect(http.logs.length).toBeGreaterThan(5);
    if (ctx.dialect === 'sqlite') {
      const dir = dirname(sqlitePathFromUrl(ctx.url));
      // Checkpoint the WAL so the main file holds everything, then read every file SQLite wrote.
      await (await import('kysely')).sql`pragma wal_checkpoint(TRUNCATE)`.execute(ctx.database.db);
      for (const file of readdirSync(dir)) haystacks.push([file, readFileSync(join(dir, file))]);
    } else {
      haystacks.push(['pg_dump', execFileSync('pg_dump', ['--no-owner', ctx.url], { maxBuffer: 256 * 1024 * 1024 })]);
    }
    const dump = haystacks.find(([name]) => name === 'pg_dump' || name === 'ward.db');
    expect(dump?.[1].includes(Buffer.from('ehr-app-01'))).toBe(true); // the dump is real and readable
    for (const [name, data] of haystacks) {
      for (const value of known) {
        expect(data.includes(Buffer.from(value)), `${value} in ${name}`).toBe(false);
        expect(data.includes(Buffer.from(Buffer.from(value).toString('base64'))), `base64 of ${value} in ${name}`).toBe(false);
      }
    }
  });
});

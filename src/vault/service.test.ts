import { beforeAll, expect, it } from 'vitest';
import { rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeEachDialect } from '../../test/support/dialects.js';
import { admin, alice, bob, buildVault, seedAccount } from '../../test/vault/fixtures.js';
import { isWardError } from '../platform/errors.js';
import { secret } from '../platform/secret.js';
import { createFileKeyProvider } from './file-key-provider.js';
import { createVault, type Vault } from './service.js';
import type { CredentialSource, DataKeyService } from './types.js';
import { open, seal } from './crypto.js';

const reveal = new Set(['vault.secrets.reveal']);

describeEachDialect('vault secrets', (ctx) => {
  let env: Awaited<ReturnType<typeof buildVault>>;
  beforeAll(async () => {
    env = await buildVault(ctx.database.db);
  });

  it('stores a password encrypted and reveals it with a reason, auditing the reveal', async () => {
    const { account } = await seedAccount(env.inventory);
    const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('Correct-Horse-7!') }, admin);
    expect(stored).toMatchObject({ kind: 'password', currentVersion: 1, status: 'active' });
    const value = await env.vault.reveal({ secretId: stored.id, reasonCode: 'HSYSADMIN', justification: 'patching', permissions: reveal }, alice);
    expect(value.reveal()).toBe('Correct-Horse-7!');
    const event = env.audit.find('vault.secret.revealed').at(-1)!;
    expect(event).toMatchObject({ outcome: 'success', reasonCode: 'HSYSADMIN', actor: { id: 'u-alice' } });
    expect(JSON.stringify(env.audit.events)).not.toContain('Correct-Horse-7!');
    const row = await ctx.database.db.selectFrom('vault_secret_versions').select('ciphertext').where('secret_id', '=', stored.id).executeTakeFirstOrThrow();
    expect(Buffer.from(row.ciphertext).includes(Buffer.from('Correct-Horse-7!'))).toBe(false);
  });

  it('keeps versions: a new value is version 2 and version 1 stays readable', async () => {
    const { account } = await seedAccount(env.inventory);
    const v1 = await env.vault.storeSecret({ accountId: account.id, kind: 'api-token', value: secret('token-one') }, admin);
    const v2 = await env.vault.storeSecret({ accountId: account.id, kind: 'api-token', value: secret('token-two') }, admin);
    expect(v2.id).toBe(v1.id);
    expect(v2.currentVersion).toBe(2);
    expect((await env.vault.useCredential(account.id, 'api-token')).reveal()).toBe('token-two');
    expect((await env.vault.reveal({ secretId: v1.id, version: 1, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).reveal()).toBe('token-one');
    expect((await env.vault.getSecret(v1.id)).versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it('generates passwords that follow the target policy and ed25519 SSH keys by default', async () => {
    const { account } = await seedAccount(env.inventory);
    await env.vault.storeSecret({ accountId: account.id, kind: 'password', generate: true }, admin);
    const password = (await env.vault.useCredential(account.id, 'password')).reveal();
    expect(password).toHaveLength(20);
    expect(password).not.toMatch(/["'`\\]/);
    const key = await env.vault.storeSecret({ accountId: account.id, kind: 'ssh-key', generate: true }, admin);
    expect(key.metadata).toMatchObject({ algorithm: 'ed25519' });
    expect(String(key.metadata.publicKey)).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5/);
    const privateKey = (await env.vault.useCredential(account.id, 'ssh-key')).reveal();
    expect(privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
  });

  it('stores a certificate with its key, keeps subject and expiry in clear and refuses a mismatched key', async () => {
    const { generate } = await import('selfsigned');
    const first = await generate([{ name: 'commonName', value: 'pacs.hospital.local' }], { keyType: 'ec', algorithm: 'sha256' });
    const second = await generate([{ name: 'commonName', value: 'other.local' }], { keyType: 'ec', algorithm: 'sha256' });
    const { account } = await seedAccount(env.inventory);
    const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'certificate', value: secret(`${first.cert}\n${first.private}`) }, admin);
    expect(String(stored.metadata.subject)).toContain('CN=pacs.hospital.local');
    expect(typeof stored.metadata.notAfter).toBe('number');
    await expect(env.vault.storeSecret({ accountId: account.id, kind: 'certificate', value: secret(`${first.cert}\n${second.private}`) }, admin)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(env.vault.storeSecret({ accountId: account.id, kind: 'certificate', generate: true }, admin)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const inventory = await env.vault.cryptoInventory();
    expect(inventory.find((e) => e.category === 'stored-key' && e.algorithm.startsWith('X.509'))).toMatchObject({ algorithm: 'X.509 ec', objects: 1 });
  });

  it('refuses a secret over the size limit with SECRET_TOO_LARGE and writes nothing', async () => {
    const { account } = await seedAccount(env.inventory);
    const error = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('x'.repeat(70_000)) }, admin).catch((e: unknown) => e);
    expect(isWardError(error, 'SECRET_TOO_LARGE')).toBe(true);
    expect(await env.vault.listSecrets(account.id)).toEqual([]);
  });

  it('detects a corrupted ciphertext with DECRYPTION_FAILED and no plaintext in the message', async () => {
    const { account } = await seedAccount(env.inventory);
    const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('Tamper-Me-123') }, admin);
    const row = await ctx.database.db.selectFrom('vault_secret_versions').select('ciphertext').where('secret_id', '=', stored.id).executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.ciphertext);
    bytes[20] = bytes[20]! ^ 0xff;
    await ctx.database.db.updateTable('vault_secret_versions').set({ ciphertext: bytes }).where('secret_id', '=', stored.id).execute();
    const error = await env.vault.useCredential(account.id, 'password').catch((e: unknown) => e);
    expect(isWardError(error, 'DECRYPTION_FAILED')).toBe(true);
    expect((error as Error).message).not.toContain('Tamper');
  });

  it('binds each ciphertext to its secret id and version (a swapped ciphertext fails)', async () => {
    const { account } = await seedAccount(env.inventory);
    const a = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('first-value-1') }, admin);
    await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('second-value-2') }, admin);
    const v2 = await ctx.database.db.selectFrom('vault_secret_versions').selectAll().where('secret_id', '=', a.id).where('version', '=', 2).executeTakeFirstOrThrow();
    // Point version 1 at version 2's ciphertext and data key: AAD (id, version) no longer matches.
    await ctx.database.db.updateTable('vault_secret_versions').set({ ciphertext: v2.ciphertext, data_key_id: v2.data_key_id }).where('secret_id', '=', a.id).where('version', '=', 1).execute();
    await expect(env.vault.reveal({ secretId: a.id, version: 1, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
  });

  it('denies reveal without the permission and audits the denial', async () => {
    const { account } = await seedAccount(env.inventory);
    const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('Nope-Nope-1') }, admin);
    await expect(env.vault.reveal({ secretId: stored.id, reasonCode: 'HSYSADMIN', permissions: new Set() }, bob)).rejects.toMatchObject({ code: 'POLICY_DENIED' });
    expect(env.audit.find('vault.secret.revealed').at(-1)).toMatchObject({ outcome: 'denied', actor: { id: 'u-bob' } });
    await expect(env.vault.reveal({ secretId: stored.id, reasonCode: 'BECAUSE', permissions: reveal }, bob)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('keeps an account with secrets from being deleted until its secrets are gone', async () => {
    const { account } = await seedAccount(env.inventory);
    const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'password', generate: true }, admin);
    await expect(env.inventory.deleteAccount(account.id, admin)).rejects.toMatchObject({ code: 'CONFLICT' });
    await env.vault.deleteSecret(stored.id, admin);
    await env.inventory.deleteAccount(account.id, admin);
    await expect(env.inventory.getAccount(account.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const leftovers = await ctx.database.db.selectFrom('vault_secret_versions').select('secret_id').where('secret_id', '=', stored.id).execute();
    expect(leftovers).toEqual([]);
  });

  it('hands out data keys whose wrapped form survives a KEK rotation', async () => {
    const dataKey = await env.vault.newDataKey('recording');
    const sealed = seal(dataKey.key.reveal(), Buffer.from('frame'), 'rec-1');
    await env.vault.rotateKek(admin, { background: false });
    await env.vault.runRotation();
    const again = await env.vault.unwrapDataKey(dataKey.wrapped);
    expect(open(again.reveal(), sealed, 'rec-1').toString()).toBe('frame');
    expect(String(dataKey.key)).toBe('[REDACTED]');
    const before = (await env.vault.listKeks()).reduce((n, k) => n + k.dataKeys, 0);
    await env.vault.forgetDataKey(dataKey.wrapped);
    expect((await env.vault.listKeks()).reduce((n, k) => n + k.dataKeys, 0)).toBe(before - 1);
    await expect(env.vault.unwrapDataKey(dataKey.wrapped)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describeEachDialect('vault check-out', (ctx) => {
  let env: Awaited<ReturnType<typeof buildVault>>;
  beforeAll(async () => {
    env = await buildVault(ctx.database.db);
  });

  it('is exclusive: a second check-out fails with CHECKED_OUT', async () => {
    const { account } = await seedAccount(env.inventory);
    const checkout = await env.vault.checkOut({ accountId: account.id, durationSeconds: 3600, reason: 'kernel patch', reasonCode: 'HSYSADMIN', ticket: 'CHG-1' }, alice);
    expect(checkout.expiresAt - checkout.checkedOutAt).toBe(3_600_000);
    await expect(env.vault.checkOut({ accountId: account.id, durationSeconds: 600, reason: 'also me', reasonCode: 'HSYSADMIN' }, bob)).rejects.toMatchObject({ code: 'CHECKED_OUT' });
    expect(env.audit.find('vault.checkout.started').map((e) => e.outcome)).toEqual(['success', 'denied']);
  });

  it('refuses reveal to others while checked out, and check-in marks the credential rotation_due', async () => {
    const { account } = await seedAccount(env.inventory);
    const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('Held-Secret-9') }, admin);
    await env.vault.checkOut({ accountId: account.id, durationSeconds: 600, reason: 'db upgrade', reasonCode: 'HSYSADMIN' }, alice);
    await expect(env.vault.reveal({ secretId: stored.id, reasonCode: 'HSYSADMIN', permissions: reveal }, bob)).rejects.toMatchObject({ code: 'CHECKED_OUT' });
    expect((await env.vault.reveal({ secretId: stored.id, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).reveal()).toBe('Held-Secret-9');
    await expect(env.vault.checkIn(account.id, bob)).rejects.toMatchObject({ code: 'CHECKED_OUT' });
    const due: string[] = [];
    env.events.subscribe('vault.credential.rotation_due', (e) => due.push(e.reason));
    await env.vault.checkIn(account.id, alice);
    expect((await env.vault.listSecrets(account.id))[0]).toMatchObject({ status: 'rotation_due', statusReason: 'checked-in' });
    expect(due).toEqual(['checked-in']);
    await env.vault.storeSecret({ accountId: account.id, kind: 'password', generate: true }, admin);
    expect((await env.vault.listSecrets(account.id))[0]).toMatchObject({ status: 'active', currentVersion: 2 });
  });

  it('checks in automatically at expiry when the sweeper runs', async () => {
    const { account } = await seedAccount(env.inventory);
    await env.vault.storeSecret({ accountId: account.id, kind: 'password', generate: true }, admin);
    await env.vault.checkOut({ accountId: account.id, durationSeconds: 900, reason: 'backup restore', reasonCode: 'HSYSADMIN' }, alice);
    env.clock.advance(899_000);
    await env.vault.sweep();
    expect(await env.vault.currentCheckout(account.id)).not.toBeNull();
    env.clock.advance(1_000);
    expect(await env.vault.sweep()).toBeGreaterThanOrEqual(1);
    expect(await env.vault.currentCheckout(account.id)).toBeNull();
    expect((await env.vault.listSecrets(account.id))[0]).toMatchObject({ status: 'rotation_due', statusReason: 'checkout-expired' });
    expect(env.audit.find('vault.checkout.expired').at(-1)).toMatchObject({ actor: { kind: 'system' } });
    await env.vault.checkOut({ accountId: account.id, durationSeconds: 600, reason: 'next shift', reasonCode: 'HSYSADMIN' }, bob);
  });

  it('bounds the duration and demands a PurposeOfUse reason code', async () => {
    const { account } = await seedAccount(env.inventory);
    await expect(env.vault.checkOut({ accountId: account.id, durationSeconds: 9 * 3600, reason: 'long', reasonCode: 'HSYSADMIN' }, alice)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(env.vault.checkOut({ accountId: account.id, durationSeconds: 600, reason: 'x', reasonCode: 'FUN' }, alice)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describeEachDialect('vault key file', (ctx) => {
  it('creates the key file 0600 and reports a missing or wrong key file as KEY_UNAVAILABLE without secret material', async () => {
    const env = await buildVault(ctx.database.db);
    const { account } = await seedAccount(env.inventory);
    await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('Key-File-Secret-4') }, admin);
    const path = join(env.keyDir, 'vault-kek.json');
    const original = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const fresh = () => createVault({ db: ctx.database.db, provider: createFileKeyProvider({ path }), audit: env.audit, clock: env.clock, accounts: env.inventory });
    rmSync(path);
    const missing = await fresh().useCredential(account.id, 'password').catch((e: unknown) => e);
    expect(isWardError(missing, 'KEY_UNAVAILABLE')).toBe(true);
    await expect(fresh().initialize()).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });

    const parsed = JSON.parse(original) as { format: string; keys: Record<string, string> };
    const wrong = { ...parsed, keys: Object.fromEntries(Object.keys(parsed.keys).map((k) => [k, Buffer.alloc(32, 7).toString('base64')])) };
    writeFileSync(path, JSON.stringify(wrong));
    const mismatch = await fresh().useCredential(account.id, 'password').catch((e: unknown) => e);
    expect(isWardError(mismatch, 'KEY_UNAVAILABLE')).toBe(true);
    for (const error of [missing, mismatch]) {
      expect((error as Error).message).not.toContain('Key-File-Secret-4');
      for (const key of Object.values(parsed.keys)) expect((error as Error).message).not.toContain(key);
    }
    writeFileSync(path, original, { mode: 0o600 });
    expect((await fresh().useCredential(account.id, 'password')).reveal()).toBe('Key-File-Secret-4');
  });
});

// The vault satisfies the narrow interfaces other domains depend on (a type error here breaks the build).
const _interfaces: (v: Vault) => [DataKeyService, CredentialSource] = (v) => [v, v];
void _interfaces;

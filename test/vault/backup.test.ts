// Backup → wipe → restore on both stores, and refusal of tampered, truncated or mis-addressed backups.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createTestDatabase, describeEachDialect } from '../support/dialects.js';
import { admin, alice, buildVault, seedAccount } from './fixtures.js';
import { secret } from '../../src/platform/secret.js';
import { isWardError } from '../../src/platform/errors.js';
import { createBackup, generateBackupKeyPair, readBackupHeader, restoreBackup } from '../../src/vault/backup.js';
import { createVault } from '../../src/vault/service.js';
import { createFileKeyProvider } from '../../src/vault/file-key-provider.js';
import { createInventoryService } from '../../src/inventory/service.js';
import type { WardDatabase } from '../../src/platform/database/index.js';

const reveal = new Set(['vault.secrets.reveal']);

describeEachDialect('encrypted backups', (ctx) => {
  let env: Awaited<ReturnType<typeof buildVault>>;
  let other: { database: WardDatabase; cleanup: () => Promise<void> };
  const keys = generateBackupKeyPair();
  const expected = new Map<string, string>();
  let backup: Buffer;

  beforeAll(async () => {
    env = await buildVault(ctx.database.db);
    for (const [i, kind] of (['password', 'ssh-key', 'api-token'] as const).entries()) {
      const { account } = await seedAccount(env.inventory, `acct${i}`);
      const stored = await env.vault.storeSecret({ accountId: account.id, kind, generate: true }, admin);
      expected.set(stored.id, (await env.vault.useCredential(account.id, kind)).reveal());
    }
    const { account } = await seedAccount(env.inventory, 'known');
    const known = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('Backup-Known-Secret-1') }, admin);
    expected.set(known.id, 'Backup-Known-Secret-1');
    const parts: Buffer[] = [];
    // A small chunk size so the backup spans many authenticated chunks.
    await createBackup({ db: ctx.database.db as unknown as Kysely<unknown>, dialect: ctx.dialect, recipientPublicKey: keys.publicKey, write: (b) => void parts.push(b), now: env.clock.now, chunkSize: 1024, pageSize: 3 });
    backup = Buffer.concat(parts);
    other = await createTestDatabase(ctx.dialect);
    // The target store starts with something of its own, which a refused restore must leave untouched.
    const marker = createInventoryService({ db: other.database.db, audit: env.audit, clock: env.clock });
    await marker.createZone({ name: 'pre-existing' }, admin);
  });
  afterAll(async () => {
    await other?.cleanup();
  });

  it('writes a header naming the hybrid scheme and no plaintext secret anywhere in the file', () => {
    const { header } = readBackupHeader(backup);
    expect(header).toMatchObject({ kem: 'X25519+ML-KEM-768', kdf: 'HKDF-SHA-256', cipher: 'AES-256-GCM', keyId: keys.keyId });
    for (const value of expected.values()) expect(backup.includes(Buffer.from(value))).toBe(false);
    expect(backup.includes(Buffer.from('vault_secrets'))).toBe(false);
  });

  it('refuses tampered, truncated, extended or mis-addressed backups with BACKUP_INVALID and writes nothing', async () => {
    const db = other.database.db as unknown as Kysely<unknown>;
    const flipped = Buffer.from(backup);
    flipped[flipped.length - 100] = flipped[flipped.length - 100]! ^ 0x01;
    const headerTampered = Buffer.from(backup.toString('latin1').replace('"chunkSize":1024', '"chunkSize":2048'), 'latin1');
    const cases: Array<[string, Buffer, string]> = [
      ['flipped byte', flipped, keys.secretKey.reveal()],
      ['truncated mid-chunk', backup.subarray(0, backup.length - 10), keys.secretKey.reveal()],
      ['truncated at a chunk boundary', cutAtLastChunk(backup), keys.secretKey.reveal()],
      ['trailing garbage', Buffer.concat([backup, Buffer.from([0, 0, 0, 1, 9])]), keys.secretKey.reveal()],
      ['edited header', headerTampered, keys.secretKey.reveal()],
      ['another recipient', backup, generateBackupKeyPair().secretKey.reveal()],
      ['not a backup', Buffer.from('hello'), keys.secretKey.reveal()],
    ];
    for (const [name, data, key] of cases) {
      const error = await restoreBackup({ db, dialect: ctx.dialect, data, recipientSecretKey: secret(key) }).catch((e: unknown) => e);
      expect(isWardError(error, 'BACKUP_INVALID'), name).toBe(true);
    }
    const zones = await other.database.db.selectFrom('inventory_zones').select('name').execute();
    expect(zones.map((z) => z.name)).toEqual(['pre-existing']);
  });

  it('restores into a wiped store so the same secrets decrypt there', async () => {
    const result = await restoreBackup({ db: other.database.db as unknown as Kysely<unknown>, dialect: ctx.dialect, data: backup, recipientSecretKey: keys.secretKey });
    expect(result.tables.vault_secrets).toBe(expected.size);
    expect(await other.database.db.selectFrom('inventory_zones').where('name', '=', 'pre-existing').selectAll().execute()).toEqual([]);
    const inventory = createInventoryService({ db: other.database.db, audit: env.audit, clock: env.clock });
    const restored = createVault({ db: other.database.db, provider: createFileKeyProvider({ path: join(env.keyDir, 'vault-kek.json') }), audit: env.audit, clock: env.clock, accounts: inventory });
    await restored.initialize();
    for (const [id, value] of expected) {
      expect((await restored.reveal({ secretId: id, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).reveal()).toBe(value);
    }
    // The restored store keeps working: new versions and rotation.
    const first = [...expected.keys()][0]!;
    const info = await restored.getSecret(first);
    await restored.storeSecret({ accountId: info.accountId, kind: info.kind, generate: true }, admin);
    await restored.rotateKek(admin);
    expect(await restored.waitForRotation()).toMatchObject({ state: 'done' });
  });
});

function cutAtLastChunk(data: Buffer): Buffer {
  const { offset } = readBackupHeader(data);
  let position = offset;
  let last = offset;
  while (position < data.length) {
    last = position;
    position += 4 + data.readUInt32BE(position);
  }
  return data.subarray(0, last);
}

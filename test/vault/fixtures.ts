// Builds an inventory + vault pair over a test database with a key file in a temp directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createMemoryAuditLog } from '../../src/audit/memory.js';
import { createInventoryService } from '../../src/inventory/service.js';
import type { Actor } from '../../src/inventory/types.js';
import { createManualClock } from '../../src/platform/clock.js';
import type { Database } from '../../src/platform/database/index.js';
import { createEventBus } from '../../src/platform/events.js';
import { createFileKeyProvider } from '../../src/vault/file-key-provider.js';
import type { KeyProvider } from '../../src/vault/key-provider.js';
import { createVault } from '../../src/vault/service.js';
import type { VaultActor } from '../../src/vault/types.js';

export const admin: Actor & VaultActor = { id: 'u-admin', kind: 'user', name: 'admin' };
export const alice: VaultActor = { id: 'u-alice', kind: 'user', name: 'alice' };
export const bob: VaultActor = { id: 'u-bob', kind: 'user', name: 'bob' };

export async function buildVault(db: Kysely<Database>, options: { provider?: KeyProvider; keyDir?: string } = {}) {
  const keyDir = options.keyDir ?? mkdtempSync(join(tmpdir(), 'ward-keys-'));
  const provider = options.provider ?? createFileKeyProvider({ path: join(keyDir, 'vault-kek.json') });
  const audit = createMemoryAuditLog();
  const clock = createManualClock();
  const events = createEventBus();
  // The composition root wires the two the same way: the inventory asks the vault before deleting an account.
  const late: { vault?: ReturnType<typeof createVault> } = {};
  const inventory = createInventoryService({ db, audit, clock, accountInUse: (id) => late.vault!.accountHasSecrets(id) });
  const vault = createVault({ db, provider, audit, clock, accounts: inventory, events, limits: { rotationBatchSize: 7 } });
  late.vault = vault;
  await vault.initialize();
  return { vault, inventory, audit, clock, events, provider, keyDir };
}

let counter = 0;
/** A zone, a target and an account to hang secrets on. */
export async function seedAccount(inventory: ReturnType<typeof createInventoryService>, username = 'root') {
  counter++;
  const zoneName = `zone-${process.pid}-${counter}`;
  await inventory.createZone({ name: zoneName }, admin);
  const target = await inventory.createTarget(
    { name: `target-${process.pid}-${counter}`, address: `10.0.0.${counter}`, protocols: ['ssh'], zone: zoneName, criticality: 'high', ephiSensitivity: 'full', passwordPolicy: { length: 20, lowercase: true, uppercase: true, digits: true, symbols: true, exclude: '"\'`\\' } },
    admin,
  );
  const account = await inventory.createAccount(target.id, { username, kind: 'human-admin', privilegeLevel: 'root' }, admin);
  return { target, account };
}

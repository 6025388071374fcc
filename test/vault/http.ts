// A Ward HTTP app with inventory and vault routes and a fixed-token authenticator (identity is built elsewhere),
// capturing every log line so tests can grep them for secrets.
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import { createHttpApp } from '../../src/server/http/app.js';
import type { Authenticator, Principal } from '../../src/server/http/types.js';
import { createLogger } from '../../src/platform/logger.js';
import { WardError } from '../../src/platform/errors.js';
import { allPermissions, type Permission } from '../../src/platform/permissions.js';
import type { Database, DialectName } from '../../src/platform/database/index.js';
import { createBackup } from '../../src/vault/backup.js';
import type { Clock } from '../../src/platform/clock.js';
import { inventoryRoutes } from '../../src/inventory/routes.js';
import type { InventoryService } from '../../src/inventory/service.js';
import { vaultRoutes } from '../../src/vault/routes.js';
import type { Vault } from '../../src/vault/service.js';

export function principal(userId: string, permissions: Permission[], mfaVerifiedAt: number | null): Principal {
  return {
    userId,
    username: userId.replace(/^u-/, ''),
    displayName: userId,
    kind: 'human',
    permissions: new Set(permissions),
    credential: { kind: 'session', id: `s-${userId}` },
    mfaEnrolled: true,
    mfaVerifiedAt,
  };
}

export function fixedTokenAuthenticator(tokens: Record<string, () => Principal>): Authenticator {
  return {
    async authenticate(token) {
      const make = tokens[token];
      if (!make) throw new WardError('AUTH_REQUIRED', 'Unknown token.');
      return make();
    },
  };
}

export async function buildTestApp(deps: { db: Kysely<Database>; vault: Vault; inventory: InventoryService; clock: Clock; logLevel?: string; dialect?: DialectName }) {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const authenticator = fixedTokenAuthenticator({
    'admin-token': () => principal('u-admin', allPermissions, deps.clock.now()),
    'alice-token': () => principal('u-alice', allPermissions, deps.clock.now()),
    'stale-token': () => principal('u-stale', allPermissions, deps.clock.now() - 3_600_000),
    'reader-token': () => principal('u-reader', ['inventory.read', 'vault.secrets.read'], deps.clock.now()),
  });
  const { app } = await createHttpApp({
    logger: createLogger({ level: deps.logLevel ?? 'trace', destination }),
    authenticator,
    routes: [
      inventoryRoutes(deps.inventory),
      vaultRoutes(deps.vault, {
        backup: (recipientPublicKey, write) => createBackup({ db: deps.db as unknown as Kysely<unknown>, dialect: deps.dialect ?? 'sqlite', recipientPublicKey, write, now: deps.clock.now }),
      }),
    ],
    bodyLimitBytes: 1024 * 1024,
    stepUpMaxAgeSeconds: 300,
    metrics: new Registry(),
    ready: async () => ({ ready: true, checks: {} }),
    now: deps.clock.now,
  });
  return { app, logs };
}

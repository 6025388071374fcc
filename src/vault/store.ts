// Kysely queries for the vault; the service decides, the store reads and writes rows.
import type { Selectable } from 'kysely';
import type { Executor } from '../platform/database/index.js';
import type { VaultCheckoutsTable, VaultKeksTable, VaultSecretsTable, VaultSecretVersionsTable } from './tables.js';
import './tables.js';
import { preparedQuery } from './prepared.js';

export type KekRow = Selectable<VaultKeksTable>;
export type SecretRow = Selectable<VaultSecretsTable>;
export type VersionRow = Selectable<VaultSecretVersionsTable>;
export type CheckoutRow = Selectable<VaultCheckoutsTable>;

function readableQuery(db: Executor, version: number | undefined) {
  return db
    .selectFrom('vault_secrets as s')
    .innerJoin('vault_secret_versions as v', (join) =>
      version === undefined
        ? join.onRef('v.secret_id', '=', 's.id').onRef('v.version', '=', 's.current_version')
        : join.onRef('v.secret_id', '=', 's.id').on('v.version', '=', version),
    )
    .innerJoin('vault_data_keys as k', 'k.id', 'v.data_key_id')
    .leftJoin('vault_checkouts as c', 'c.open_account_id', 's.account_id')
    .select(['s.id', 's.account_id', 's.kind', 'v.version', 'v.ciphertext', 'k.wrapped_key', 'k.kek_version', 'c.user_id as holder_id', 'c.username as holder_name', 'c.expires_at as holder_expires_at']);
}

export function createVaultStore(db: Executor) {
  const on = (x?: Executor) => x ?? db;
  const readableCurrent = preparedQuery(db, (secretId: string) => readableQuery(db, undefined).where('s.id', '=', secretId), ['\u0000secret']);
  const readableVersion = preparedQuery(db, (secretId: string, version: number) => readableQuery(db, version).where('s.id', '=', secretId), ['\u0000secret', -987654321]);
  const readableByAccount = preparedQuery(
    db,
    (accountId: string, kind: string) => readableQuery(db, undefined).where('s.account_id', '=', accountId).where('s.kind', '=', kind),
    ['\u0000account', '\u0000kind'],
  );
  return {
    listKeks: (x?: Executor) => on(x).selectFrom('vault_keks').selectAll().orderBy('version').execute(),
    kek: (version: number, x?: Executor) => on(x).selectFrom('vault_keks').selectAll().where('version', '=', version).executeTakeFirst(),
    activeKek: (x?: Executor) =>
      on(x).selectFrom('vault_keks').selectAll().where('state', '=', 'active').orderBy('version', 'desc').limit(1).executeTakeFirst(),
    insertKek: (row: VaultKeksTable, x?: Executor) => on(x).insertInto('vault_keks').values(row).execute(),
    setKekState: (version: number, state: string, at: number | null, x?: Executor) =>
      on(x).updateTable('vault_keks').set({ state, retired_at: at }).where('version', '=', version).execute(),
    insertDataKey: (row: { id: string; purpose: string; wrapped_key: Uint8Array; kek_version: number; created_at: number }, x?: Executor) =>
      on(x).insertInto('vault_data_keys').values(row).execute(),
    dataKey: (id: string, x?: Executor) =>
      on(x).selectFrom('vault_data_keys').select(['id', 'wrapped_key', 'kek_version', 'purpose']).where('id', '=', id).executeTakeFirst(),
    /** The oldest data key made for a named purpose (`named:<purpose>`), so every node converges on the same one. */
    namedDataKey: (purpose: string, x?: Executor) =>
      on(x).selectFrom('vault_data_keys').selectAll().where('purpose', '=', purpose).orderBy('id').limit(1).executeTakeFirst(),
    deleteDataKey: (id: string, x?: Executor) => on(x).deleteFrom('vault_data_keys').where('id', '=', id).where('purpose', '!=', 'secret').execute(),
    dataKeysBelow: (version: number, limit: number, x?: Executor) =>
      on(x)
        .selectFrom('vault_data_keys')
        .select(['id', 'wrapped_key', 'kek_version'])
        .where('kek_version', '<', version)
        .orderBy('kek_version')
        .orderBy('id')
        .limit(limit)
        .execute(),
    /** Re-wraps only if nobody changed the row since it was read. */
    rewrapDataKey: async (id: string, fromVersion: number, toVersion: number, wrapped: Uint8Array, x?: Executor) => {
      const result = await on(x)
        .updateTable('vault_data_keys')
        .set({ wrapped_key: wrapped, kek_version: toVersion })
        .where('id', '=', id)
        .where('kek_version', '=', fromVersion)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    countDataKeysByKek: async (x?: Executor) => {
      const rows = await on(x)
        .selectFrom('vault_data_keys')
        .select(['kek_version', 'purpose', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['kek_version', 'purpose'])
        .execute();
      return rows.map((r) => ({ kekVersion: Number(r.kek_version), purpose: r.purpose, count: Number(r.n) }));
    },
    countDataKeysFor: async (version: number, x?: Executor) => {
      const r = await on(x)
        .selectFrom('vault_data_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kek_version', '=', version)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    secret: (id: string, x?: Executor) => on(x).selectFrom('vault_secrets').selectAll().where('id', '=', id).executeTakeFirst(),
    secretFor: (accountId: string, kind: string, x?: Executor) =>
      on(x).selectFrom('vault_secrets').selectAll().where('account_id', '=', accountId).where('kind', '=', kind).executeTakeFirst(),
    secretsFor: (accountId: string, x?: Executor) =>
      on(x).selectFrom('vault_secrets').selectAll().where('account_id', '=', accountId).orderBy('kind').execute(),
    countSecretsFor: async (accountId: string) => {
      const r = await db
        .selectFrom('vault_secrets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    insertSecret: (row: VaultSecretsTable, x?: Executor) => on(x).insertInto('vault_secrets').values(row).execute(),
    /** Moves the current version forward only from the expected one (optimistic concurrency). */
    advanceSecret: async (id: string, fromVersion: number, toVersion: number, at: number, x?: Executor) => {
      const result = await on(x)
        .updateTable('vault_secrets')
        .set({ current_version: toVersion, status: 'active', status_reason: null, updated_at: at })
        .where('id', '=', id)
        .where('current_version', '=', fromVersion)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    markRotationDue: (accountId: string, reason: string, at: number, x?: Executor) =>
      on(x).updateTable('vault_secrets').set({ status: 'rotation_due', status_reason: reason, updated_at: at }).where('account_id', '=', accountId).execute(),
    deleteSecret: async (id: string, x?: Executor) => {
      const versions = await on(x).selectFrom('vault_secret_versions').select('data_key_id').where('secret_id', '=', id).execute();
      await on(x).deleteFrom('vault_secret_versions').where('secret_id', '=', id).execute();
      if (versions.length) await on(x).deleteFrom('vault_data_keys').where('id', 'in', versions.map((v) => v.data_key_id)).execute();
      await on(x).deleteFrom('vault_secrets').where('id', '=', id).execute();
    },
    insertVersion: (row: VaultSecretVersionsTable, x?: Executor) => on(x).insertInto('vault_secret_versions').values(row).execute(),
    version: (secretId: string, version: number, x?: Executor) =>
      on(x)
        .selectFrom('vault_secret_versions')
        .innerJoin('vault_data_keys', 'vault_data_keys.id', 'vault_secret_versions.data_key_id')
        .select([
          'vault_secret_versions.secret_id',
          'vault_secret_versions.version',
          'vault_secret_versions.ciphertext',
          'vault_secret_versions.metadata',
          'vault_data_keys.wrapped_key',
          'vault_data_keys.kek_version',
        ])
        .where('vault_secret_versions.secret_id', '=', secretId)
        .where('vault_secret_versions.version', '=', version)
        .executeTakeFirst(),
    /** Secret, the version to decrypt, its wrapped data key and any open check-out, in one round trip. */
    readable: (by: { secretId: string } | { accountId: string; kind: string }, version?: number, x?: Executor) => {
      if ('secretId' in by) return version === undefined ? readableCurrent(on(x), by.secretId) : readableVersion(on(x), by.secretId, version);
      return readableByAccount(on(x), by.accountId, by.kind);
    },
    versions: (secretId: string, x?: Executor) =>
      on(x)
        .selectFrom('vault_secret_versions')
        .innerJoin('vault_data_keys', 'vault_data_keys.id', 'vault_secret_versions.data_key_id')
        .select([
          'vault_secret_versions.version',
          'vault_secret_versions.algorithm',
          'vault_secret_versions.metadata',
          'vault_secret_versions.created_at',
          'vault_secret_versions.created_by',
          'vault_data_keys.kek_version',
        ])
        .where('vault_secret_versions.secret_id', '=', secretId)
        .orderBy('vault_secret_versions.version', 'desc')
        .execute(),
    currentVersionsMetadata: (x?: Executor) =>
      on(x)
        .selectFrom('vault_secrets')
        .innerJoin('vault_secret_versions', (join) =>
          join.onRef('vault_secret_versions.secret_id', '=', 'vault_secrets.id').onRef('vault_secret_versions.version', '=', 'vault_secrets.current_version'),
        )
        .select(['vault_secrets.kind', 'vault_secret_versions.metadata', 'vault_secret_versions.created_at', 'vault_secret_versions.algorithm'])
        .execute(),

    openCheckout: (accountId: string, x?: Executor) =>
      on(x).selectFrom('vault_checkouts').selectAll().where('open_account_id', '=', accountId).executeTakeFirst(),
    insertCheckout: (row: VaultCheckoutsTable, x?: Executor) => on(x).insertInto('vault_checkouts').values(row).execute(),
    endCheckout: async (id: string, at: number, reason: string, x?: Executor) => {
      const result = await on(x)
        .updateTable('vault_checkouts')
        .set({ open_account_id: null, ended_at: at, end_reason: reason })
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    expiredCheckouts: (now: number, limit: number, x?: Executor) =>
      on(x).selectFrom('vault_checkouts').selectAll().where('ended_at', 'is', null).where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute(),

    runningJob: (x?: Executor) => on(x).selectFrom('vault_rotation_jobs').selectAll().where('state', '=', 'running').orderBy('started_at', 'desc').executeTakeFirst(),
    latestJob: (x?: Executor) => on(x).selectFrom('vault_rotation_jobs').selectAll().orderBy('started_at', 'desc').limit(1).executeTakeFirst(),
    insertJob: (row: { id: string; kek_version: number; state: string; rewrapped: number; started_at: number; updated_at: number; finished_at: number | null }, x?: Executor) =>
      on(x).insertInto('vault_rotation_jobs').values(row).execute(),
    progressJob: (id: string, added: number, at: number, x?: Executor) =>
      on(x)
        .updateTable('vault_rotation_jobs')
        .set((eb) => ({ rewrapped: eb('rewrapped', '+', added), updated_at: at }))
        .where('id', '=', id)
        .execute(),
    finishJob: (id: string, at: number, x?: Executor) =>
      on(x).updateTable('vault_rotation_jobs').set({ state: 'done', finished_at: at, updated_at: at }).where('id', '=', id).execute(),
  };
}

export type VaultStore = ReturnType<typeof createVaultStore>;

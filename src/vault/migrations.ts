// Vault schema. Ciphertexts and wrapped keys are bytes; nothing here ever holds a plaintext secret.
import type { WardMigration } from '../platform/database/index.js';

export const vaultMigrations: WardMigration[] = [
  {
    name: '20261123_35_vault_create',
    async up(db, types) {
      await db.schema
        .createTable('vault_keks')
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('provider_id', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();
      await db.schema
        .createTable('vault_data_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('wrapped_key', types.bytes, (c) => c.notNull())
        .addColumn('kek_version', 'integer', (c) => c.notNull().references('vault_keks.version'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vault_data_keys_kek').on('vault_data_keys').columns(['kek_version', 'id']).execute();
      await db.schema
        .createTable('vault_secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('current_version', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('vault_secrets_account_kind', ['account_id', 'kind'])
        .execute();
      await db.schema
        .createTable('vault_secret_versions')
        .addColumn('secret_id', 'text', (c) => c.notNull().references('vault_secrets.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data_key_id', 'text', (c) => c.notNull().references('vault_data_keys.id'))
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('ciphertext', types.bytes, (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addPrimaryKeyConstraint('vault_secret_versions_pk', ['secret_id', 'version'])
        .execute();
      await db.schema
        .createTable('vault_checkouts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('open_account_id', 'text', (c) => c.unique())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('reason_code', 'text', (c) => c.notNull())
        .addColumn('ticket', 'text')
        .addColumn('checked_out_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('end_reason', 'text')
        .execute();
      await db.schema.createIndex('vault_checkouts_open_expiry').on('vault_checkouts').columns(['ended_at', 'expires_at']).execute();
      await db.schema
        .createTable('vault_rotation_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('rewrapped', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
    },
  },
];

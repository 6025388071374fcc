// Inventory schema: zones, targets, accounts. Names are unique after normalisation.
import type { WardMigration } from '../platform/database/index.js';

export const inventoryMigrations: WardMigration[] = [
  {
    name: '20261123_30_inventory_create',
    async up(db) {
      await db.schema
        .createTable('inventory_zones')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_normalized', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('gateway_ids', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('inventory_targets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_normalized', 'text', (c) => c.notNull().unique())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('protocols', 'text', (c) => c.notNull())
        .addColumn('zone_id', 'text', (c) => c.notNull().references('inventory_zones.id'))
        .addColumn('owner_user_id', 'text')
        .addColumn('criticality', 'text', (c) => c.notNull())
        .addColumn('ephi_sensitivity', 'text', (c) => c.notNull())
        .addColumn('risk_tier', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('password_policy', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('inventory_targets_zone').on('inventory_targets').column('zone_id').execute();
      await db.schema
        .createTable('inventory_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('target_id', 'text', (c) => c.notNull().references('inventory_targets.id'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('username_normalized', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('privilege_level', 'text', (c) => c.notNull())
        .addColumn('owner_user_id', 'text')
        .addColumn('managed', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('inventory_accounts_target_username', ['target_id', 'username_normalized'])
        .execute();
    },
  },
  {
    name: '20261123_34_inventory_host_keys',
    async up(db) {
      await db.schema
        .createTable('inventory_host_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('target_id', 'text', (c) => c.notNull().references('inventory_targets.id').onDelete('cascade'))
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('pinned_by', 'text')
        .addColumn('pinned_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('inventory_host_keys_target_fingerprint', ['target_id', 'fingerprint'])
        .execute();
    },
  },
  {
    name: '20261124_30_inventory_session_policy',
    async up(db) {
      await db.schema.alterTable('inventory_targets').addColumn('session_policy', 'text').execute();
    },
  },
];

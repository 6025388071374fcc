// Schema for the policy store (migration range 40–49).
import type { WardMigration } from '../platform/database/index.js';

export const policyMigrations: WardMigration[] = [
  {
    name: '20261123_40_policy_sets',
    async up(db) {
      await db.schema
        .createTable('policy_sets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull().unique())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('policy_ids', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];

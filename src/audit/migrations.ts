// Schema of the audit trail. Sequence numbers are assigned by the trail under the head-row lock, not by the database.
import type { WardMigration } from '../platform/database/index.js';

export const auditMigrations: WardMigration[] = [
  {
    name: '20261123_20_audit_events',
    async up(db, types) {
      await db.schema
        .createTable('audit_events')
        .addColumn('sequence', 'bigint', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_name', 'text')
        .addColumn('target_id', 'text')
        .addColumn('target_name', 'text')
        .addColumn('reason_code', 'text')
        .addColumn('session_id', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('prev_hash', types.bytes, (c) => c.notNull())
        .addColumn('hash', types.bytes, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_time').on('audit_events').columns(['time', 'sequence']).execute();
      await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor_id', 'sequence']).execute();
      await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'sequence']).execute();
      await db.schema.createIndex('audit_events_target').on('audit_events').columns(['target_id', 'sequence']).execute();
      await db.schema.createIndex('audit_events_session').on('audit_events').columns(['session_id', 'sequence']).execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('sequence', 'bigint', (c) => c.primaryKey())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('signatures', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('sequence', 'bigint', (c) => c.notNull())
        .addColumn('hash', types.bytes, (c) => c.notNull())
        .addColumn('checkpoint_sequence', 'bigint', (c) => c.notNull())
        .addColumn('pruned_before', 'bigint', (c) => c.notNull())
        .addColumn('pruned_hash', types.bytes, (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db
        .insertInto('audit_head')
        .values({
          id: 1,
          sequence: 0,
          hash: Buffer.alloc(32),
          checkpoint_sequence: 0,
          pruned_before: 1,
          pruned_hash: Buffer.alloc(32),
          updated_at: 0,
        })
        .execute();
      await db.schema
        .createTable('audit_sink_cursors')
        .addColumn('sink', 'text', (c) => c.primaryKey())
        .addColumn('sequence', 'bigint', (c) => c.notNull())
        .addColumn('checkpoint_sequence', 'bigint', (c) => c.notNull())
        .addColumn('delivered', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('last_error_at', 'bigint')
        .addColumn('last_success_at', 'bigint')
        .execute();
      await db.schema
        .createTable('audit_archives')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('first_sequence', 'bigint', (c) => c.notNull())
        .addColumn('last_sequence', 'bigint', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];

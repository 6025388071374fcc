// Schema for requests, approvals, grants, break-glass reviews and on-call shifts.
import type { WardMigration } from '../platform/database/index.js';

export const accessMigrations: WardMigration[] = [
  {
    name: '20261123_50_access_core',
    async up(db) {
      await db.schema
        .createTable('access_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('requester_id', 'text', (c) => c.notNull())
        .addColumn('requester_name', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('target_name', 'text', (c) => c.notNull())
        .addColumn('zone_id', 'text', (c) => c.notNull())
        .addColumn('risk_tier', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text')
        .addColumn('account_id', 'text')
        .addColumn('account_name', 'text')
        .addColumn('reason_code', 'text', (c) => c.notNull())
        .addColumn('justification', 'text', (c) => c.notNull())
        .addColumn('ticket', 'text')
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('duration_seconds', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('required_approvals', 'integer', (c) => c.notNull())
        .addColumn('require_owner_or_manager', 'integer', (c) => c.notNull())
        .addColumn('auto_approved', 'integer', (c) => c.notNull())
        .addColumn('on_call', 'integer', (c) => c.notNull())
        .addColumn('breakglass', 'integer', (c) => c.notNull())
        .addColumn('policy_ids', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'text')
        .execute();
      await db.schema.createIndex('access_requests_requester').on('access_requests').columns(['requester_id', 'created_at']).execute();
      await db.schema.createIndex('access_requests_status').on('access_requests').columns(['status', 'starts_at']).execute();

      await db.schema
        .createTable('access_approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull().references('access_requests.id'))
        .addColumn('approver_id', 'text', (c) => c.notNull())
        .addColumn('approver_name', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('relation', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('valid', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        // One decision per person per request: approving twice, even concurrently, cannot count twice.
        .addUniqueConstraint('access_approvals_one_per_approver', ['request_id', 'approver_id'])
        .execute();

      await db.schema
        .createTable('access_grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull().unique().references('access_requests.id'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('target_name', 'text', (c) => c.notNull())
        .addColumn('zone_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('account_name', 'text')
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('idle_seconds', 'integer', (c) => c.notNull())
        .addColumn('idle_deadline_at', 'bigint', (c) => c.notNull())
        .addColumn('breakglass', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('end_reason', 'text')
        .addColumn('ended_by', 'text')
        .addColumn('started_published', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_grants_open').on('access_grants').columns(['status', 'ends_at']).execute();
      await db.schema.createIndex('access_grants_user').on('access_grants').columns(['user_id', 'status']).execute();

      await db.schema
        .createTable('access_reviews')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('grant_id', 'text', (c) => c.notNull().unique().references('access_grants.id'))
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('target_name', 'text', (c) => c.notNull())
        .addColumn('reviewer_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('escalated_at', 'bigint')
        .addColumn('outcome', 'text')
        .addColumn('note', 'text')
        .addColumn('completed_by', 'text')
        .addColumn('completed_at', 'bigint')
        .addColumn('flagged', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_reviews_status').on('access_reviews').columns(['status', 'due_at']).execute();

      await db.schema
        .createTable('access_oncall_shifts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('zone_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('imported_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_oncall_zone').on('access_oncall_shifts').columns(['zone_id', 'starts_at']).execute();
    },
  },
];

/* eslint-disable @typescript-eslint/no-explicit-any -- a probe table outside the typed schema */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, migrateToLatest, migrationsCurrent, isUniqueViolation, type WardMigration } from './index.js';
import { describeEachDialect } from '../../../test/support/dialects.js';
import { createScratchDatabase, postgresAvailable, noteSkipped } from '../../../test/support/postgres.js';
import { allMigrations } from '../../server/migrations.js';

const probe: WardMigration[] = [
  {
    name: '20261123_00_probe_create',
    async up(db, types) {
      await db.schema
        .createTable('probe_items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name_normalized', 'text', (c) => c.notNull().unique())
        .addColumn('payload', types.bytes)
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
// The suites' databases already hold every domain's migrations; the probe comes on top of them.
const probeMigrations: WardMigration[] = [...allMigrations, ...probe];

describeEachDialect('database platform', (ctx) => {
  it('round-trips bigint milliseconds, bytes and reports unique violations the same way', async () => {
    const db = ctx.database.db as unknown as import('kysely').Kysely<any>;
    await migrateToLatest(db, probeMigrations, ctx.dialect);
    const at = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
    await db.insertInto('probe_items').values({ id: 'a', name_normalized: 'alice', payload: Buffer.from([1, 2, 255]), created_at: at }).execute();
    const row = await db.selectFrom('probe_items').selectAll().executeTakeFirstOrThrow();
    expect(row.created_at).toBe(at);
    expect(Buffer.from(row.payload)).toEqual(Buffer.from([1, 2, 255]));
    const count = await db.selectFrom('probe_items').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
    const error = await db.insertInto('probe_items').values({ id: 'b', name_normalized: 'alice', created_at: at }).execute().catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect(await migrationsCurrent(db, probeMigrations, ctx.dialect)).toBe(true);
    expect(await ctx.database.ping()).toBe(true);
  });

  it('rolls back every row of a failed transaction', async () => {
    const db = ctx.database.db as unknown as import('kysely').Kysely<any>;
    await migrateToLatest(db, probeMigrations, ctx.dialect);
    const before = await db.selectFrom('probe_items').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('probe_items').values({ id: 't1', name_normalized: 't1', created_at: 1 }).execute();
        await trx.insertInto('probe_items').values({ id: 't2', name_normalized: 't1', created_at: 1 }).execute();
      }),
    ).rejects.toBeTruthy();
    const after = await db.selectFrom('probe_items').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

describe('migrations on PostgreSQL', () => {
  it('apply exactly once when two nodes start at the same moment', async (test) => {
    if (!(await postgresAvailable())) {
      noteSkipped('migrations concurrency [postgres]', 'PostgreSQL not reachable');
      test.skip();
      return;
    }
    const scratch = await createScratchDatabase();
    const nodes = [openDatabase(scratch.url), openDatabase(scratch.url)];
    try {
      const results = await Promise.all(nodes.map((n) => migrateToLatest(n.db as never, probeMigrations, 'postgres')));
      const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success');
      // Every migration ran once in total, split between the two nodes however the lock fell.
      expect(applied.map((r) => r.migrationName).sort()).toEqual(probeMigrations.map((m) => m.name).sort());
      expect(await migrationsCurrent(nodes[0]!.db as never, probeMigrations, 'postgres')).toBe(true);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await scratch.drop();
    }
  });
});

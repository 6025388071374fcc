// Runs the same suite against SQLite and PostgreSQL: every repository test proves both dialects behave alike.
import { describe, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, migrateToLatest, type WardDatabase, type DialectName } from '../../src/platform/database/index.js';
import { allMigrations } from '../../src/server/migrations.js';
import { postgresAvailable, createScratchDatabase, noteSkipped } from './postgres.js';

export { postgresAvailable, noteSkipped };

export interface DialectContext {
  readonly dialect: DialectName;
  /** The migrated database for this suite (fresh per describe block). */
  readonly database: WardDatabase;
  readonly url: string;
}

export const dialects: DialectName[] = ['sqlite', 'postgres'];

/** Creates a fresh, migrated database of the given dialect; returns it with a cleanup function. */
export async function createTestDatabase(dialect: DialectName): Promise<{ database: WardDatabase; url: string; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ward-test-'));
    const url = `sqlite://${join(dir, 'ward.db')}`;
    const database = openDatabase(url);
    await migrateToLatest(database.db, allMigrations, 'sqlite');
    return { database, url, cleanup: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const scratch = await createScratchDatabase();
  const database = openDatabase(scratch.url, { poolSize: 5 });
  await migrateToLatest(database.db, allMigrations, 'postgres');
  return { database, url: scratch.url, cleanup: async () => { await database.close(); await scratch.drop(); } };
}

/**
 * describe() once per dialect. PostgreSQL must be reachable in CI; locally its half is skipped and reported.
 */
// Decided once per test file at import: in CI an unreachable PostgreSQL throws here and fails the file.
const postgresReachable = await postgresAvailable();

/**
 * describe() once per dialect. PostgreSQL must be reachable in CI; locally its half is skipped and reported.
 */
export function describeEachDialect(name: string, body: (context: DialectContext) => void): void {
  for (const dialect of dialects) {
    const skip = dialect === 'postgres' && !postgresReachable;
    if (skip) noteSkipped(`${name} [postgres]`, 'PostgreSQL not reachable');
    describe.skipIf(skip)(`${name} [${dialect}]`, () => {
      let current: { database: WardDatabase; url: string; cleanup: () => Promise<void> } | undefined;
      const context: DialectContext = {
        dialect,
        get database() {
          if (!current) throw new Error('database not ready');
          return current.database;
        },
        get url() {
          if (!current) throw new Error('database not ready');
          return current.url;
        },
      };
      beforeAll(async () => {
        current = await createTestDatabase(dialect);
      });
      afterAll(async () => {
        await current?.cleanup();
      });
      body(context);
    });
  }
}

// Versioned schema migrations contributed by each domain and applied at start under a lock.
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists */
// On PostgreSQL Kysely's migrator takes a transaction-scoped advisory lock, so two nodes starting at once
// apply each migration exactly once; on SQLite the database file lock serialises writers.
import { Kysely, Migrator, sql, type Migration as KyselyMigration, type MigrationResultSet } from 'kysely';
import type { DialectName } from './connect.js';
import { WardError } from '../errors.js';

/** Column types that differ between the dialects; everything else is written the same way. */
export interface ColumnTypes {
  bytes: 'blob' | 'bytea';
  /** Auto-incrementing 64-bit key (audit sequence numbers). */
  serial: 'integer' | 'bigserial';
}

export interface WardMigration {
  /** Sortable, unique, and chronological: `YYYYMMDD_NN_domain_what`. */
  name: string;
  up(db: Kysely<any>, types: ColumnTypes, dialect: DialectName): Promise<void>;
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  return dialect === 'postgres' ? { bytes: 'bytea', serial: 'bigserial' } : { bytes: 'blob', serial: 'integer' };
}

function toProvider(migrations: WardMigration[], dialect: DialectName) {
  const names = new Set<string>();
  const record: Record<string, KyselyMigration> = {};
  for (const migration of migrations) {
    if (names.has(migration.name)) throw new Error(`duplicate migration name ${migration.name}`);
    names.add(migration.name);
    record[migration.name] = { up: (db) => migration.up(db, columnTypes(dialect), dialect) };
  }
  return { getMigrations: async () => record };
}

function createMigrator(db: Kysely<any>, migrations: WardMigration[], dialect: DialectName): Migrator {
  return new Migrator({
    db,
    provider: toProvider(migrations, dialect),
    migrationTableName: 'ward_migrations',
    migrationLockTableName: 'ward_migrations_lock',
    // Domains add migrations independently; their names stay chronological but may interleave.
    allowUnorderedMigrations: true,
  });
}

export async function migrateToLatest(
  db: Kysely<any>,
  migrations: WardMigration[],
  dialect: DialectName,
): Promise<MigrationResultSet> {
  const migrator = createMigrator(db, migrations, dialect);
  let result = await migrator.migrateToLatest();
  // Two PostgreSQL nodes creating the bookkeeping tables at the same moment can collide once; the
  // second attempt finds the tables and waits on the lock like any later start.
  if (result.error && dialect === 'postgres' && /duplicate key|already exists/.test(String(result.error))) {
    result = await migrator.migrateToLatest();
  }
  if (result.error) {
    throw new WardError('SERVICE_UNAVAILABLE', `database migration failed: ${String(result.error)}`, undefined, {
      cause: result.error,
    });
  }
  return result;
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsCurrent(db: Kysely<any>, migrations: WardMigration[], dialect: DialectName) {
  try {
    const applied = await createMigrator(db, migrations, dialect).getMigrations();
    return applied.every((m) => m.executedAt !== undefined);
  } catch {
    return false;
  }
}

export { sql };

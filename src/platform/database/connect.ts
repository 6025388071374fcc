// Opens a Kysely instance over better-sqlite3 (embedded default) or pg (PostgreSQL), configured for Ward's use.
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.js';
import { WardError } from '../errors.js';

export type DialectName = 'sqlite' | 'postgres';

export interface WardDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Is the database reachable? Used by /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export function sqlitePathFromUrl(url: string): string {
  if (url === ':memory:' || url === 'sqlite://:memory:') return ':memory:';
  return url.replace(/^sqlite:\/\//, '');
}

export function openDatabase(url: string, options: { poolSize?: number } = {}): WardDatabase {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      // Counts and epoch-millisecond columns come back as numbers (they stay below 2^53).
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID || oid === NUMERIC_OID
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      ping: async () => {
        try {
          await sql`select 1`.execute(db);
          return true;
        } catch {
          return false;
        }
      },
      close: () => db.destroy(),
    };
  }
  if (!url.startsWith('sqlite://') && url !== ':memory:') {
    throw new WardError('VALIDATION_FAILED', 'database URL must start with sqlite:// or postgres://');
  }
  const path = sqlitePathFromUrl(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const connection = new SQLite(path);
  // The store holds wrapped keys and audit data: owner-only, like the data dir (WAL and SHM files inherit it).
  if (path !== ':memory:') chmodSync(path, 0o600);
  connection.pragma('journal_mode = WAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  return {
    db,
    dialect: 'sqlite',
    ping: async () => {
      try {
        connection.prepare('select 1').get();
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}

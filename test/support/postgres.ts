// Finds the PostgreSQL server the tests use. In CI a missing server is a failure; locally the suite skips
// and says so (scripts/test.ts prints the skipped suites in the summary).
import pg from 'pg';
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export const adminUrl = process.env.WARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const inCi = process.env.CI === 'true' || process.env.CI === '1';

let available: Promise<boolean> | undefined;

export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (error) {
      if (inCi) throw new Error(`PostgreSQL is required in CI but unreachable at ${adminUrl}: ${String(error)}`);
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return available;
}

/** Records a skipped suite so the test summary names it instead of passing it off as green. */
export function noteSkipped(suite: string, reason: string): void {
  const file = process.env.WARD_SKIP_LOG;
  const line = `${suite}: ${reason}\n`;
  if (file) appendFileSync(file, line);
  else process.stderr.write(`SKIPPED ${line}`);
}

/** Creates an empty database and returns its URL and a function that drops it. */
export async function createScratchDatabase(prefix = 'ward_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

// api: login throughput and GET /api/v1/me latency under load from a second process on loopback,
// SQLite and PostgreSQL side by side. Baselines from the same run: /healthz on the same server (framework and
// network cost without authentication or the store) and SQLite for the PostgreSQL rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/platform/config.js';
import { createWard, initWard } from '../src/server/compose.js';
import { createScratchDatabase, postgresAvailable } from '../test/support/postgres.js';
import { result, type BenchResult, type BenchSuite } from './harness.js';
import { runLoad, type LoadResult } from './load.js';
import { createPasswordHasher } from '../src/identity/auth/password.js';

const PASSWORD = 'correct-Horse-battery-staple-42';

interface DialectRun {
  login: LoadResult;
  me: LoadResult;
  health: LoadResult;
}

async function measure(dialect: 'sqlite' | 'postgres', seconds: number): Promise<DialectRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ward-bench-api-'));
  const scratch = dialect === 'postgres' ? await createScratchDatabase('ward_bench') : undefined;
  const config = loadConfig({
    WARD_DATA_DIR: dataDir,
    WARD_HTTP_LISTEN: '127.0.0.1:0',
    WARD_LOG_LEVEL: 'silent',
    WARD_BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
    ...(scratch ? { WARD_DATABASE_URL: scratch.url } : {}),
  });
  await initWard(config);
  const ward = await createWard({ config });
  try {
    const { url } = await ward.listen();
    const login = await runLoad({
      url: `${url}/api/v1/auth/login`,
      method: 'POST',
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      concurrency: 4,
      seconds,
    });
    const tokenResponse = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const { token } = (await tokenResponse.json()) as { token: string };
    const me = await runLoad({ url: `${url}/api/v1/me`, method: 'GET', headers: { authorization: `Bearer ${token}` }, concurrency: 16, seconds });
    const health = await runLoad({ url: `${url}/healthz`, method: 'GET', concurrency: 16, seconds });
    for (const [name, run] of Object.entries({ login, me, health })) {
      if (run.errors > 0) throw new Error(`${dialect} ${name}: ${run.errors} failed requests ${JSON.stringify(run.statuses)}`);
    }
    return { login, me, health };
  } finally {
    await ward.close();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The ceiling a login cannot beat: argon2id verifications per second with the same parameters and parallelism. */
async function argon2Ceiling(seconds: number): Promise<number> {
  const hasher = createPasswordHasher();
  const stored = await hasher.hash(PASSWORD);
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < deadline) {
        await hasher.verify(stored, PASSWORD);
        count += 1;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const suite: BenchSuite = async ({ quick }) => {
  const seconds = quick ? 2 : 5;
  const ceiling = await argon2Ceiling(seconds);
  const sqlite = await measure('sqlite', seconds);
  const results: BenchResult[] = [
    result('login throughput [sqlite]', sqlite.login.perSecond, 'logins/s', 'higher', { value: ceiling, name: 'argon2id verifies/s alone' }),
    result('GET /me p50 [sqlite]', sqlite.me.p50, 'ms', 'lower', { value: sqlite.health.p50, name: '/healthz p50' }),
    result('GET /me p99 [sqlite]', sqlite.me.p99, 'ms', 'lower', { value: sqlite.health.p99, name: '/healthz p99' }),
    result('GET /me throughput [sqlite]', sqlite.me.perSecond, 'req/s', 'higher', { value: sqlite.health.perSecond, name: '/healthz' }),
  ];
  if (await postgresAvailable()) {
    const pg = await measure('postgres', seconds);
    results.push(
      result('login throughput [postgres]', pg.login.perSecond, 'logins/s', 'higher', { value: sqlite.login.perSecond, name: 'sqlite' }),
      result('GET /me p50 [postgres]', pg.me.p50, 'ms', 'lower', { value: sqlite.me.p50, name: 'sqlite' }),
      result('GET /me p99 [postgres]', pg.me.p99, 'ms', 'lower', { value: sqlite.me.p99, name: 'sqlite' }),
      result('GET /me throughput [postgres]', pg.me.perSecond, 'req/s', 'higher', { value: sqlite.me.perSecond, name: 'sqlite' }),
    );
  } else {
    console.warn('PostgreSQL not reachable: postgres rows skipped');
  }
  return results;
};

export default suite;

// Vault benchmarks: envelope decrypts per second in-process with the key file and with SoftHSM2 (baseline: raw
// AES-256-GCM decrypt of the same payload), and secret reads over the HTTP API at a fixed request rate
// (baseline: GET /healthz at the same rate through the same stack).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { result, type BenchResult, type BenchSuite } from './harness.js';
import { runLoad } from './load.js';
import { openDatabase, migrateToLatest } from '../src/platform/database/index.js';
import { allMigrations } from '../src/server/migrations.js';
import { createManualClock, systemClock } from '../src/platform/clock.js';
import { createMemoryAuditLog } from '../src/audit/memory.js';
import { createInventoryService } from '../src/inventory/service.js';
import { createVault } from '../src/vault/service.js';
import { createFileKeyProvider } from '../src/vault/file-key-provider.js';
import { createPkcs11KeyProvider } from '../src/vault/pkcs11-key-provider.js';
import type { KeyProvider } from '../src/vault/key-provider.js';
import { newKey, open, seal } from '../src/vault/crypto.js';
import { secret } from '../src/platform/secret.js';
import { buildTestApp } from '../test/vault/http.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';

function timeLoop(durationMs: number, work: () => void | Promise<void>): Promise<number> {
  return (async () => {
    const start = performance.now();
    let count = 0;
    while (performance.now() - start < durationMs) {
      for (let i = 0; i < 50; i++) await work();
      count += 50;
    }
    return count / ((performance.now() - start) / 1000);
  })();
}

async function envelopeRate(provider: KeyProvider, durationMs: number): Promise<number> {
  const { reference } = await provider.createKek(1);
  const kek = { version: 1, reference };
  const dataKey = newKey();
  const wrapped = await provider.wrap(dataKey, kek);
  const ciphertext = seal(dataKey, Buffer.from('Correct-Horse-Battery-Staple-42!'), 'ward-secret:x:1');
  return timeLoop(durationMs, async () => {
    const key = await provider.unwrap(wrapped, kek);
    open(key, ciphertext, 'ward-secret:x:1');
  });
}

function softhsmProvider(): KeyProvider | undefined {
  if (!existsSync(SOFTHSM)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ward-bench-hsm-'));
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
  try {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'ward-bench', '--pin', '1234', '--so-pin', '5678'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return createPkcs11KeyProvider({ modulePath: SOFTHSM, tokenLabel: 'ward-bench', pin: '1234' });
}

const suite: BenchSuite = async ({ quick }) => {
  const results: BenchResult[] = [];
  const duration = quick ? 1000 : 3000;

  // Baseline: the AES-256-GCM decrypt alone, no key unwrap.
  const rawKey = newKey();
  const rawCiphertext = seal(rawKey, Buffer.from('Correct-Horse-Battery-Staple-42!'), 'ward-secret:x:1');
  const raw = await timeLoop(duration, () => void open(rawKey, rawCiphertext, 'ward-secret:x:1'));
  const keyDir = mkdtempSync(join(tmpdir(), 'ward-bench-keys-'));
  const fileRate = await envelopeRate(createFileKeyProvider({ path: join(keyDir, 'bench-kek.json') }), duration);
  results.push(result('envelope decrypt, key file', fileRate, 'ops/s', 'higher', { value: raw, name: 'raw AES-GCM decrypt' }));
  const hsm = softhsmProvider();
  if (hsm) {
    const hsmRate = await envelopeRate(hsm, duration);
    results.push(result('envelope decrypt, SoftHSM2 (PKCS#11)', hsmRate, 'ops/s', 'higher', { value: raw, name: 'raw AES-GCM decrypt' }));
    await hsm.close();
  }

  // Secret read over the API at a fixed rate.
  const dir = mkdtempSync(join(tmpdir(), 'ward-bench-db-'));
  const database = openDatabase(`sqlite://${join(dir, 'ward.db')}`);
  await migrateToLatest(database.db, allMigrations, 'sqlite');
  const audit = createMemoryAuditLog();
  const clock = systemClock ?? createManualClock();
  const inventory = createInventoryService({ db: database.db, audit, clock });
  const vault = createVault({ db: database.db, provider: createFileKeyProvider({ path: join(dir, 'vault-kek.json') }), audit, clock, accounts: inventory });
  await vault.initialize();
  const actor = { id: 'u-admin', kind: 'user' as const, name: 'admin' };
  await inventory.createZone({ name: 'bench' }, actor);
  const secretIds: string[] = [];
  for (let i = 0; i < 50; i++) {
    const target = await inventory.createTarget({ name: `bench-${i}`, address: `10.0.1.${i}`, protocols: ['ssh'], zone: 'bench', criticality: 'high', ephiSensitivity: 'full' }, actor);
    const account = await inventory.createAccount(target.id, { username: 'root', kind: 'human-admin' }, actor);
    secretIds.push((await vault.storeSecret({ accountId: account.id, kind: 'password', value: secret(`bench-password-${i}`) }, actor)).id);
  }
  const accountIds = (await inventory.listAccounts({ limit: 100 })).map((a) => a.id);
  let k = 0;
  const inProcess = await timeLoop(duration, async () => void (await vault.useCredential(accountIds[k++ % accountIds.length]!, 'password')));
  results.push(result('secret read in-process (SQLite + key file)', inProcess, 'ops/s', 'higher', { value: raw, name: 'raw AES-GCM decrypt' }));
  const { app } = await buildTestApp({ db: database.db, vault, inventory, clock, logLevel: 'silent' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const rate = 1000;
  const seconds = quick ? 2 : 10;
  const body = JSON.stringify({ reasonCode: 'HSYSADMIN', justification: 'bench' });
  // Open-loop load from a separate process at a fixed rate; latency from send to full response.
  const load = (requests: { method: 'GET' | 'POST'; path: string; body?: string }[], perSecond: number, duration: number) =>
    runLoad({ url: `http://127.0.0.1:${port}/`, method: 'GET', headers: { authorization: 'Bearer admin-token' }, concurrency: 64, seconds: duration, rate: perSecond, openLoop: true, requests });
  const reveals = secretIds.map((id) => ({ method: 'POST' as const, path: `/api/v1/secrets/${id}/reveal`, body }));
  // Warm up the JIT and the connection pool.
  await load(reveals, 500, 1);
  const baseline = await load([{ method: 'GET', path: '/healthz' }], rate, seconds);
  const read = await load(reveals, rate, seconds);
  results.push(result(`secret read over API p50 @${rate}/s`, read.p50, 'ms', 'lower', { value: baseline.p50, name: 'GET /healthz p50' }));
  results.push(result(`secret read over API p99 @${rate}/s`, read.p99, 'ms', 'lower', { value: baseline.p99, name: 'GET /healthz p99' }, '≤ 2 ms'));
  results.push(result('secret read achieved rate', read.perSecond, 'req/s', 'higher', { value: baseline.perSecond, name: 'healthz rate' }));
  results.push(result('secret read failures', read.errors, 'requests', 'lower', { value: baseline.errors, name: 'healthz failures' }));
  await app.close();
  await database.close();
  return results;
};

export default suite;

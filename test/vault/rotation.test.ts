import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { admin, alice, buildVault, seedAccount } from './fixtures.js';
import { secret } from '../../src/platform/secret.js';
import { createVault } from '../../src/vault/service.js';
import { createFileKeyProvider } from '../../src/vault/file-key-provider.js';
import { join } from 'node:path';

const reveal = new Set(['vault.secrets.reveal']);

describeEachDialect('online KEK rotation', (ctx) => {
  let env: Awaited<ReturnType<typeof buildVault>>;
  beforeAll(async () => {
    env = await buildVault(ctx.database.db);
  });

  it('re-wraps every data key while reads and writes continue, losing nothing and failing no request', async () => {
    const { account } = await seedAccount(env.inventory);
    const accounts = [account];
    for (let i = 0; i < 4; i++) accounts.push((await seedAccount(env.inventory, `svc${i}`)).account);
    const expected = new Map<string, string>();
    for (const [i, a] of accounts.entries()) {
      const value = `initial-${i}-${'x'.repeat(i)}`;
      const s = await env.vault.storeSecret({ accountId: a.id, kind: 'password', value: secret(value) }, admin);
      expected.set(s.id, value);
    }
    for (let i = 0; i < 40; i++) await env.vault.newDataKey('recording');

    const before = await env.vault.listKeks();
    const status = await env.vault.rotateKek(admin);
    expect(status.state).toBe('running');

    const failures: unknown[] = [];
    let writes = 0;
    let reads = 0;
    const rotation = env.vault.waitForRotation();
    let rotationFinished = false;
    let duringRotation = 0;
    void rotation.then(() => (rotationFinished = true));
    const load = (async () => {
      for (let round = 0; round < 30; round++) {
        const jobs: Promise<unknown>[] = [];
        for (const [i, a] of accounts.entries()) {
          const value = `round-${round}-account-${i}`;
          jobs.push(
            env.vault.storeSecret({ accountId: a.id, kind: 'password', value: secret(value) }, admin).then((s) => {
              expected.set(s.id, value);
              writes++;
              if (!rotationFinished) duringRotation++;
            }),
          );
        }
        for (const id of expected.keys()) {
          jobs.push(env.vault.reveal({ secretId: id, reasonCode: 'HSYSADMIN', permissions: reveal }, alice).then(() => reads++));
        }
        for (const outcome of await Promise.allSettled(jobs)) if (outcome.status === 'rejected') failures.push(outcome.reason);
      }
    })();
    const [done] = await Promise.all([rotation, load]);
    expect(failures).toEqual([]);
    expect(writes).toBe(150);
    // The load really overlapped the re-wrap.
    expect(duringRotation).toBeGreaterThan(0);
    expect(reads).toBeGreaterThan(0);
    expect(done).toMatchObject({ state: 'done', remaining: 0 });
    for (const [id, value] of expected) {
      expect((await env.vault.reveal({ secretId: id, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).reveal()).toBe(value);
    }
    // Every old version is retired once nothing uses it, and every data key sits under the new KEK.
    const after = await env.vault.listKeks();
    const newest = Math.max(...after.map((k) => k.version));
    expect(after.find((k) => k.version === newest)).toMatchObject({ state: 'active' });
    for (const k of after.filter((k) => k.version !== newest)) expect(k).toMatchObject({ state: 'retired', dataKeys: 0 });
    expect(after.length).toBe(before.length + 1);
  });

  it('resumes an interrupted re-wrap from persisted progress in a new process', async () => {
    const { account } = await seedAccount(env.inventory);
    const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('Survives-Crash-1') }, admin);
    for (let i = 0; i < 30; i++) await env.vault.newDataKey('recording');
    await env.vault.rotateKek(admin, { background: false });
    const partial = await env.vault.runRotation({ maxBatches: 2 });
    expect(partial.state).toBe('running');
    expect(partial.rewrapped).toBe(14);
    expect(partial.remaining).toBeGreaterThan(0);

    // "Crash": a fresh vault over the same store and key file picks the job up.
    const restarted = createVault({
      db: ctx.database.db,
      provider: createFileKeyProvider({ path: join(env.keyDir, 'vault-kek.json') }),
      audit: env.audit,
      clock: env.clock,
      accounts: env.inventory,
    });
    await expect(restarted.rotateKek(admin)).rejects.toMatchObject({ code: 'CONFLICT' });
    const finished = await restarted.resumeRotation();
    expect(finished).toMatchObject({ state: 'done', remaining: 0 });
    expect(finished.rewrapped).toBeGreaterThan(14);
    expect((await restarted.reveal({ secretId: stored.id, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).reveal()).toBe('Survives-Crash-1');
    expect(env.audit.find('vault.kek.retired').length).toBeGreaterThanOrEqual(2);
  });
});

// kill -9 of a whole `ward serve` under audit load (a storm of failed sign-ins, each audited before it is
// answered): afterwards `ward audit verify` passes offline and every answered attempt has its audit event.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describeEachDialect } from '../support/dialects.js';
import { createScratchDatabase } from '../support/postgres.js';
import { runCli } from '../../src/cli/main.js';
import { createCliContext } from '../../src/cli/context.js';
import { loadConfig } from '../../src/platform/config.js';
import { initWard } from '../../src/server/compose.js';
import { openDatabase } from '../../src/platform/database/index.js';
import { freePort } from '../support/ports.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));


describeEachDialect('server killed with SIGKILL under audit load', (ctx) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ward-kill-'));
  let env: Record<string, string>;
  let drop: (() => Promise<void>) | undefined;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    const port = await freePort();
    env = { WARD_DATA_DIR: dataDir, WARD_HTTP_LISTEN: `127.0.0.1:${port}`, WARD_SSH_LISTEN: '127.0.0.1:0', WARD_LOG_LEVEL: 'silent', WARD_BOOTSTRAP_ADMIN_PASSWORD: 'Kill-Nine-Survivor-Password-77' };
    if (ctx.dialect === 'postgres') {
      const scratch = await createScratchDatabase();
      env.WARD_DATABASE_URL = scratch.url;
      drop = scratch.drop;
    }
    await initWard(loadConfig(env));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps an intact chain holding every acknowledged event', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    const base = `http://${env.WARD_HTTP_LISTEN}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 300) throw new Error('server did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    let acknowledged = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${base}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: `ghost-${w}-${i}`, password: 'not-the-password' }),
          });
          await res.text();
          if (res.status === 401 || res.status === 429) acknowledged += 1;
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    while (acknowledged < 150) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    stop = true;
    await Promise.all(workers);

    const out = new PassThrough();
    let printed = '';
    out.on('data', (c: Buffer) => (printed += c.toString()));
    const context = createCliContext(env);
    context.out = out;
    context.err = out;
    expect(await runCli(['audit', 'verify'], context), printed).toBe(0);

    const database = openDatabase(loadConfig(env).databaseUrl);
    try {
      const row = await database.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '=', 'auth.login')
        .where('outcome', '=', 'failure')
        .executeTakeFirstOrThrow();
      expect(Number(row.n)).toBeGreaterThanOrEqual(acknowledged);
    } finally {
      await database.close();
    }
  });
});

describeEachDialect('post-quantum checkpoint signatures', (ctx) => {
  it('verifies the ML-DSA-65 signature beside Ed25519 and names a forged one', async () => {
    const { startTestWard } = await import('../support/ward.js');
    const t = await startTestWard(ctx.dialect);
    try {
      for (let i = 0; i < 5; i++) {
        await t.ward.audit.append({ action: 'test.pq.event', outcome: 'success', actor: { kind: 'system', name: 'test' } });
      }
      const checkpoint = await t.ward.audit.checkpoint();
      expect(checkpoint).not.toBeNull();
      const env = { ...(t.databaseUrl ? { WARD_DATABASE_URL: t.databaseUrl } : {}), WARD_DATA_DIR: t.dataDir, WARD_LOG_LEVEL: 'silent' };
      const verify = async () => {
        const out = new PassThrough();
        let printed = '';
        out.on('data', (c: Buffer) => (printed += c.toString()));
        const context = createCliContext(env);
        context.out = out;
        context.err = out;
        const code = await runCli(['audit', 'verify', '--json'], context);
        process.exitCode = 0;
        return { code, printed };
      };
      expect((await verify()).code).toBe(0);

      const row = await t.ward.database.db.selectFrom('audit_checkpoints').selectAll().orderBy('sequence', 'desc').executeTakeFirstOrThrow();
      const signatures = JSON.parse(row.signatures) as { algorithm: string; signature: string }[];
      expect(signatures.map((s) => s.algorithm).sort()).toEqual(['Ed25519', 'ML-DSA-65']);
      const forged = signatures.map((s) => {
        if (s.algorithm !== 'ML-DSA-65') return s;
        const bytes = Buffer.from(s.signature, 'base64');
        bytes[10] = bytes[10]! ^ 0xff;
        return { ...s, signature: bytes.toString('base64') };
      });
      await t.ward.database.db.updateTable('audit_checkpoints').set({ signatures: JSON.stringify(forged) }).where('sequence', '=', row.sequence).execute();
      const damaged = await verify();
      expect(damaged.code).toBe(1);
      expect(damaged.printed).toMatch(/signature/i);
    } finally {
      await t.close();
    }
  });
});

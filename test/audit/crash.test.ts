// kill -9 of a process appending under load: afterwards the chain verifies and every acknowledged event is there.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { openDatabase } from '../../src/platform/database/index.js';
import { createAuditStore } from '../../src/audit/store.js';
import { verifyStore } from '../../src/audit/verify.js';
import { auditKeyPaths, loadAuditVerifier, loadOrCreateAuditSigner } from '../../src/audit/keys.js';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

describeEachDialect('audit trail after kill -9', (ctx) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ward-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts an appending child; resolves once it acknowledged `target` events, with the acks seen so far. */
  function appender(acked: Map<number, string>, target: number) {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ctx.url, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
    let buffer = '';
    let mine = 0;
    const reached = new Promise<void>((resolve, reject) => {
      proc.once('exit', (_code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`child exited early: ${stderr}`));
      });
      proc.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) {
          const match = /^ack (\d+) (\S+)$/.exec(line);
          if (match) {
            acked.set(Number(match[1]), match[2]!);
            mine += 1;
          }
        }
        if (mine >= target) resolve();
      });
    });
    return { proc, exited, reached };
  }

  async function verifyAcked(acked: Map<number, string>) {
    const database = openDatabase(ctx.url);
    try {
      const store = createAuditStore(database.db, database.dialect);
      const result = await verifyStore(store, { verifiers: [loadAuditVerifier(auditKeyPaths(dataDir).publicKey)] });
      expect(result.damage).toBeUndefined();
      expect(result.intact).toBe(true);
      expect(result.lastSequence).toBeGreaterThanOrEqual(Math.max(...acked.keys()));
      const rows = await database.db.selectFrom('audit_events').select(['sequence', 'id']).execute();
      const stored = new Map(rows.map((r) => [Number(r.sequence), r.id]));
      const missing = [...acked].filter(([sequence, id]) => stored.get(sequence) !== id);
      expect(missing).toEqual([]);
    } finally {
      await database.close();
    }
  }

  it('keeps an intact chain holding every acknowledged event', async () => {
    loadOrCreateAuditSigner(dataDir);
    const acked = new Map<number, string>();
    const run = appender(acked, 3000);
    await run.reached;
    // Killed mid-stream, well into the load, with appends still in flight.
    run.proc.kill('SIGKILL');
    expect(await run.exited).toBe('SIGKILL');
    await verifyAcked(acked);
  });

  it('keeps one chain when two processes append to the same store, then both are killed', async () => {
    loadOrCreateAuditSigner(dataDir);
    const acked = new Map<number, string>();
    const runs = [appender(acked, 1500), appender(acked, 1500)];
    await Promise.all(runs.map((r) => r.reached));
    for (const run of runs) run.proc.kill('SIGKILL');
    expect(await Promise.all(runs.map((r) => r.exited))).toEqual(['SIGKILL', 'SIGKILL']);
    await verifyAcked(acked);
  });
});

// `ward audit verify` offline against the store and archives, and retention sealing: archives verify, pruning keeps
// the live chain verifiable, and a tampered archive is caught.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { runCli } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { loadConfig } from '../../src/platform/config.js';
import { auditKeyPaths, loadAuditVerifier, loadOrCreateAuditSigner } from '../../src/audit/keys.js';
import { createAuditTrail } from '../../src/audit/service.js';
import { createAuditArchiver, verifyArchive } from '../../src/audit/archive.js';
import { verifyStore } from '../../src/audit/verify.js';
import { createManualClock } from '../../src/platform/clock.js';
import { sampleEvent, resetAudit } from './helpers.js';
import { statSync } from 'node:fs';

describeEachDialect('ward audit verify and retention', (ctx) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ward-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const signer = loadOrCreateAuditSigner(dataDir);
  const verifier = loadAuditVerifier(auditKeyPaths(dataDir).publicKey);
  let out = '';

  function context(): CliContext {
    const config = loadConfig({ WARD_DATA_DIR: dataDir, WARD_DATABASE_URL: ctx.url });
    return {
      config: () => config,
      openStore: async () => ({ ...ctx.database, close: async () => {} }),
      api: () => {
        throw new Error('verify must not need the server');
      },
      print: (value) => {
        out += typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value)}\n`;
      },
      out: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
      err: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    };
  }

  async function cli(...args: string[]) {
    out = '';
    process.exitCode = undefined;
    const code = await runCli(args, context());
    process.exitCode = undefined;
    return { code, out };
  }

  const clock = createManualClock(Date.UTC(2019, 0, 1));
  let trail: ReturnType<typeof createAuditTrail>;
  beforeEach(async () => {
    await resetAudit(ctx.database.db);
    clock.set(Date.UTC(2019, 0, 1));
    trail = createAuditTrail({ db: ctx.database.db, dialect: ctx.dialect, clock, nodeId: 'node-a', signers: [signer], checkpointEvery: { events: 10, seconds: 3600 } });
    for (let i = 0; i < 40; i += 1) {
      await trail.append(sampleEvent(i));
      clock.advance(86_400_000 * 30); // one event a month: 2019 .. 2022
    }
  });
  afterEach(async () => trail.close());

  it('creates the signing key pair with a private file only its owner can read', () => {
    expect(statSync(auditKeyPaths(dataDir).privateKey).mode & 0o777).toBe(0o600);
    expect(loadOrCreateAuditSigner(dataDir).keyId).toBe(signer.keyId);
  });

  it('exits 0 for an intact trail and 1 naming the first bad sequence and the damage', async () => {
    expect(await cli('audit', 'verify')).toMatchObject({ code: 0, out: expect.stringContaining('intact: 40 events') });
    await ctx.database.db.deleteFrom('audit_events').where('sequence', '=', 23).execute();
    const damaged = await cli('audit', 'verify');
    expect(damaged.code).toBe(1);
    expect(damaged.out).toContain('first bad sequence 23: deleted');
    const json = await cli('audit', 'verify', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ intact: false, damage: { kind: 'deleted', sequence: 23 } });
  });

  it('seals expired events into verified archives, prunes them, and the rest still verifies', async () => {
    clock.set(Date.UTC(2025, 6, 1)); // six years after the first events
    const directory = join(dataDir, `archives-${ctx.dialect}`);
    const archiver = createAuditArchiver({ store: trail.store, signers: [signer], verifiers: [verifier], clock, directory, audit: trail, segmentEvents: 8 });
    const written = await archiver.sealExpired();
    const expired = Math.ceil((Date.UTC(2025, 6, 1) - 6 * 365 * 86_400_000 - 2 * 86_400_000 - Date.UTC(2019, 0, 1)) / (30 * 86_400_000));
    expect(written.reduce((n, w) => n + w.seal.events, 0)).toBe(expired);
    expect(written[0]!.seal.firstSequence).toBe(1);
    const remaining = await ctx.database.db.selectFrom('audit_events').select('sequence').orderBy('sequence').execute();
    expect(Number(remaining[0]!.sequence)).toBe(expired + 1);
    const live = await verifyStore(trail.store, { verifiers: [verifier] });
    expect(live).toMatchObject({ intact: true });
    const [sealed] = await trail.search({ action: 'audit.archive.sealed', limit: 1 });
    expect(sealed!.details).toMatchObject({ firstSequence: 1 });
    for (const file of readdirSync(directory)) {
      expect(await cli('audit', 'verify', '--archive', join(directory, file))).toMatchObject({ code: 0 });
    }
    // Tamper with one archived event: the archive no longer verifies and the event is named.
    const file = join(directory, readdirSync(directory)[0]!);
    const lines = gunzipSync(readFileSync(file)).toString().split('\n');
    lines[2] = lines[2]!.replace('\\"success\\"', '\\"denied\\"').replace('\\"failure\\"', '\\"success\\"');
    writeFileSync(file, gzipSync(lines.join('\n')));
    expect((await verifyArchive(readFileSync(file), [verifier])).damage).toMatchObject({ kind: 'edited', sequence: 3 });
    const result = await cli('audit', 'verify', '--archive', file);
    expect(result.code).toBe(1);
    expect(result.out).toContain('first bad sequence 3: edited');
  });

  it('refuses a store whose oldest events vanished without a sealed archive, even with the head row adjusted', async () => {
    const fifth = await ctx.database.db.selectFrom('audit_events').select('hash').where('sequence', '=', 5).executeTakeFirstOrThrow();
    await ctx.database.db.deleteFrom('audit_events').where('sequence', '<=', 5).execute();
    await ctx.database.db.deleteFrom('audit_checkpoints').where('sequence', '<=', 5).execute();
    await ctx.database.db.updateTable('audit_head').set({ pruned_before: 6, pruned_hash: fifth.hash }).execute();
    const result = await cli('audit', 'verify');
    expect(result.code).toBe(1);
    expect(result.out).toContain('first bad sequence 1: deleted');
  });

  it('refuses pruning beyond what the signed archive seal covers', async () => {
    clock.set(Date.UTC(2025, 6, 1));
    const directory = join(dataDir, `archives-overreach-${ctx.dialect}`);
    const archiver = createAuditArchiver({ store: trail.store, signers: [signer], verifiers: [verifier], clock, directory, audit: trail, segmentEvents: 100 });
    const [archive] = await archiver.sealExpired();
    const last = archive!.seal.lastSequence;
    // The attacker removes two more events and stretches the archive row and the head over them.
    const target = await ctx.database.db.selectFrom('audit_events').select('hash').where('sequence', '=', last + 2).executeTakeFirstOrThrow();
    await ctx.database.db.deleteFrom('audit_events').where('sequence', '<=', last + 2).execute();
    await ctx.database.db.updateTable('audit_archives').set({ last_sequence: last + 2 }).execute();
    await ctx.database.db.updateTable('audit_head').set({ pruned_before: last + 3, pruned_hash: target.hash }).execute();
    const result = await verifyStore(trail.store, { verifiers: [verifier] });
    expect(result.damage).toMatchObject({ kind: 'deleted', sequence: 1 });
    expect(result.damage!.message).toContain('does not prove');
  });

  it('catches a truncated tail whose checkpoints were deleted too, using the checkpoints a SIEM kept', async () => {
    const exported = await trail.store.checkpoints();
    const file = join(dataDir, `siem-checkpoints-${ctx.dialect}.jsonl`);
    // As the syslog JSON payload carries them: one checkpoint per line with a type field.
    writeFileSync(file, exported.map((c) => JSON.stringify({ type: 'audit.checkpoint', ...trail.store.parseCheckpoint(c) })).join('\n'));
    await ctx.database.db.deleteFrom('audit_events').where('sequence', '>', 20).execute();
    await ctx.database.db.deleteFrom('audit_checkpoints').where('sequence', '>', 20).execute();
    const lastKept = await ctx.database.db.selectFrom('audit_events').select('hash').where('sequence', '=', 20).executeTakeFirstOrThrow();
    await ctx.database.db.updateTable('audit_head').set({ sequence: 20, hash: lastKept.hash, checkpoint_sequence: 20 }).execute();
    expect((await cli('audit', 'verify')).code).toBe(0); // the store alone cannot tell
    const result = await cli('audit', 'verify', '--checkpoints', file);
    expect(result.code).toBe(1);
    expect(result.out).toContain('first bad sequence 21: truncated');
  });
});

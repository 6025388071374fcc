// The tamper matrix: every kind of damage to the stored trail is detected and located, on SQLite and PostgreSQL.
import { beforeEach, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDialect } from '../support/dialects.js';
import { verifyStore } from '../../src/audit/verify.js';
import { createAuditStore } from '../../src/audit/store.js';
import { canonicalRecord, chainHash } from '../../src/audit/chain.js';
import type { AuditRecord } from '../../src/audit/types.js';
import { appendMany, resetAudit, trailFor, testKeys } from './helpers.js';

describeEachDialect('audit tamper matrix', (ctx) => {
  const keys = testKeys();
  const db = () => ctx.database.db;

  beforeEach(async () => {
    await resetAudit(db());
    const { trail } = trailFor(ctx.database, { interval: 10, keys });
    await appendMany(trail, 35);
    await trail.close();
  });

  const verify = () => verifyStore(createAuditStore(ctx.database.db, ctx.dialect), { verifiers: [keys.verifier] });

  async function row(sequence: number) {
    return db().selectFrom('audit_events').selectAll().where('sequence', '=', sequence).executeTakeFirstOrThrow();
  }

  it('reports an untouched trail as intact with its checkpoints', async () => {
    const result = await verify();
    expect(result).toMatchObject({ intact: true, events: 35, lastSequence: 35, checkpoints: 3 });
  });

  it('locates an edited event', async () => {
    const original = await row(17);
    await db().updateTable('audit_events').set({ body: original.body.replace('"success"', '"denied"').replace('"failure"', '"success"') }).where('sequence', '=', 17).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'edited', sequence: 17 });
  });

  it('locates an edited event whose hash was recomputed to match', async () => {
    const original = await row(17);
    const record = JSON.parse(original.body) as AuditRecord;
    record.actor = { ...record.actor, name: 'someone-else' };
    const body = canonicalRecord(record);
    await db().updateTable('audit_events').set({ body, hash: chainHash(Buffer.from(original.prev_hash), body) }).where('sequence', '=', 17).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'edited', sequence: 17 });
  });

  it('names an event whose sequence field was rewritten as edited', async () => {
    const original = await row(17);
    await db().updateTable('audit_events').set({ body: original.body.replace('"sequence":17,', '"sequence":18,') }).where('sequence', '=', 17).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'edited', sequence: 17 });
  });

  it('locates an event deleted with the later events renumbered to close the gap', async () => {
    await db().deleteFrom('audit_events').where('sequence', '=', 12).execute();
    await sql`update audit_events set sequence = -(sequence - 1) where sequence > 12`.execute(db());
    await sql`update audit_events set sequence = -sequence where sequence < 0`.execute(db());
    expect((await verify()).damage).toMatchObject({ kind: 'deleted', sequence: 12 });
  });

  it('locates a deleted event', async () => {
    await db().deleteFrom('audit_events').where('sequence', '=', 12).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'deleted', sequence: 12 });
  });

  it('locates the first event deleted', async () => {
    await db().deleteFrom('audit_events').where('sequence', '=', 1).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'deleted', sequence: 1 });
  });

  it('locates a well-formed event inserted into the middle with later events renumbered', async () => {
    const before = await row(14);
    await sql`update audit_events set sequence = -(sequence + 1) where sequence >= 15`.execute(db());
    await sql`update audit_events set sequence = -sequence where sequence < 0`.execute(db());
    const forged: AuditRecord = { id: 'forged', sequence: 15, time: 1, nodeId: 'node-a', action: 'auth.logout', outcome: 'success', actor: { kind: 'user', id: 'u-x' } };
    const body = canonicalRecord(forged);
    await db()
      .insertInto('audit_events')
      .values({ sequence: 15, id: 'forged', time: 1, node_id: 'node-a', action: 'auth.logout', outcome: 'success', actor_id: 'u-x', actor_name: null, target_id: null, target_name: null, reason_code: null, session_id: null, body, prev_hash: before.hash, hash: chainHash(Buffer.from(before.hash), body) })
      .execute();
    expect((await verify()).damage).toMatchObject({ kind: 'inserted', sequence: 15 });
  });

  it('locates an event appended behind the trail', async () => {
    const last = await row(35);
    const forged: AuditRecord = { id: 'forged', sequence: 36, time: 1, nodeId: 'node-a', action: 'auth.logout', outcome: 'success', actor: { kind: 'user', id: 'u-x' } };
    const body = canonicalRecord(forged);
    await db()
      .insertInto('audit_events')
      .values({ sequence: 36, id: 'forged', time: 1, node_id: 'node-a', action: 'auth.logout', outcome: 'success', actor_id: 'u-x', actor_name: null, target_id: null, target_name: null, reason_code: null, session_id: null, body, prev_hash: last.hash, hash: chainHash(Buffer.from(last.hash), body) })
      .execute();
    expect((await verify()).damage).toMatchObject({ kind: 'inserted', sequence: 36 });
  });

  it('locates two events swapped in order', async () => {
    await sql`update audit_events set sequence = -1 where sequence = 22`.execute(db());
    await sql`update audit_events set sequence = 22 where sequence = 23`.execute(db());
    await sql`update audit_events set sequence = 23 where sequence = -1`.execute(db());
    expect((await verify()).damage).toMatchObject({ kind: 'reordered', sequence: 22 });
  });

  it('detects a truncated tail', async () => {
    await db().deleteFrom('audit_events').where('sequence', '>', 31).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'truncated', sequence: 32 });
  });

  it('detects a truncated tail even when the head row was rewound, from the checkpoints', async () => {
    await db().deleteFrom('audit_events').where('sequence', '>', 25).execute();
    await db().updateTable('audit_head').set({ sequence: 25 }).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'truncated', sequence: 26 });
  });

  it('detects a bad checkpoint signature', async () => {
    const checkpoint = await db().selectFrom('audit_checkpoints').selectAll().where('sequence', '=', 20).executeTakeFirstOrThrow();
    const signatures = JSON.parse(checkpoint.signatures) as { signature: string }[];
    const bytes = Buffer.from(signatures[0]!.signature, 'base64');
    bytes[5] = bytes[5]! ^ 0xff;
    signatures[0]!.signature = bytes.toString('base64');
    await db().updateTable('audit_checkpoints').set({ signatures: JSON.stringify(signatures) }).where('sequence', '=', 20).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'bad-checkpoint-signature', sequence: 20 });
  });

  it('detects a checkpoint signed by an unknown key', async () => {
    const result = await verifyStore(createAuditStore(ctx.database.db, ctx.dialect), { verifiers: [testKeys().verifier] });
    expect(result.damage).toMatchObject({ kind: 'bad-checkpoint-signature', sequence: 10 });
  });

  it('detects a missing checkpoint', async () => {
    await db().deleteFrom('audit_checkpoints').where('sequence', '=', 20).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'missing-checkpoint', sequence: 20 });
  });

  it('detects a chain rewritten consistently from the signed checkpoint hash', async () => {
    // Rewrite events 11..35 with recomputed hashes: only the checkpoints can tell.
    let previous: Buffer = Buffer.from((await row(10)).hash);
    for (let s = 11; s <= 35; s += 1) {
      const r = await row(s);
      const record = JSON.parse(r.body) as AuditRecord;
      if (s === 13) record.outcome = 'denied';
      const body = canonicalRecord(record);
      const hash = chainHash(previous, body);
      await db().updateTable('audit_events').set({ body, prev_hash: previous, hash }).where('sequence', '=', s).execute();
      previous = hash;
    }
    await db().updateTable('audit_head').set({ hash: previous }).execute();
    expect((await verify()).damage).toMatchObject({ kind: 'edited', sequence: 11 });
  });
});

import { beforeEach, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { createServer } from 'node:http';
import { describeEachDialect } from '../../test/support/dialects.js';
import { appendMany, resetAudit, sampleEvent, testKeys, trailFor } from '../../test/audit/helpers.js';
import { createAuditTrail } from './service.js';
import { createAuditOutbox } from './outbox.js';
import { verifyStore } from './verify.js';
import { createWebhookSink, verifyWebhookSignature } from './sinks/webhook.js';
import { secret } from '../platform/secret.js';
import { isWardError } from '../platform/errors.js';
import { createManualClock } from '../platform/clock.js';
import type { AuditRecord } from './types.js';
import type { SinkItem } from './sinks/types.js';
import { createAuditDomain } from './index.js';
import { createLogger } from '../platform/logger.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describeEachDialect('audit trail', (ctx) => {
  const keys = testKeys();
  beforeEach(async () => {
    await resetAudit(ctx.database.db);
  });

  it('commits concurrent appends together, numbered in call order', async () => {
    const { trail } = trailFor(ctx.database, { interval: 1000, keys });
    let commits = 0;
    trail.onCommit(() => (commits += 1));
    const records = await appendMany(trail, 300);
    expect(records.map((r) => r.sequence)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(commits).toBeLessThanOrEqual(2);
    await trail.close();
  });

  it('resolves an append only once the event is in the store', async () => {
    const { trail } = trailFor(ctx.database, { keys });
    const record = await trail.append(sampleEvent(1));
    const row = await ctx.database.db.selectFrom('audit_events').select(['body']).where('sequence', '=', record.sequence).executeTakeFirst();
    expect(JSON.parse(row!.body)).toEqual(JSON.parse(JSON.stringify(record)));
    await trail.close();
  });

  it('fails closed with AUDIT_UNAVAILABLE when the store cannot be written, and hands events to a spool when one is given', async () => {
    const { trail } = trailFor(ctx.database, { keys });
    await trail.append(sampleEvent(0));
    await sql`alter table audit_events rename to audit_events_hidden`.execute(ctx.database.db);
    try {
      const error = await trail.append(sampleEvent(1)).catch((e: unknown) => e);
      expect(isWardError(error, 'AUDIT_UNAVAILABLE')).toBe(true);
      expect(await trail.ready()).toBe(false);
      const spooled: string[] = [];
      const withSpool = createAuditTrail({
        db: ctx.database.db,
        dialect: ctx.dialect,
        clock: createManualClock(),
        nodeId: 'gateway-1',
        signers: [keys.signer],
        spool: {
          accept: async (event) => {
            spooled.push(event.action);
            return { ...event, id: 'spooled-1', sequence: 0, time: 0, nodeId: 'gateway-1' };
          },
        },
      });
      await expect(withSpool.append(sampleEvent(2))).resolves.toMatchObject({ id: 'spooled-1' });
      expect(spooled).toEqual(['access.breakglass.started']);
      await withSpool.close();
    } finally {
      await sql`alter table audit_events_hidden rename to audit_events`.execute(ctx.database.db);
    }
    expect(await trail.ready()).toBe(true);
    // Nothing half-written: the chain is still whole and continues.
    await trail.append(sampleEvent(3));
    expect(await verifyStore(trail.store, { verifiers: [keys.verifier] })).toMatchObject({ intact: true, events: 2 });
    await trail.close();
  });

  it('stores text with quotes, backslashes, braces, commas, NULL and non-ASCII exactly', async () => {
    const { trail } = trailFor(ctx.database, { keys });
    const tricky = 'say "hi" \\ {a,b} NULL, é 🚑 \n tab\t';
    const record = await trail.append({ ...sampleEvent(1), justification: tricky, ticket: 'NULL', details: { note: '{}', list: ['a,b', '"c"'] } });
    const [found] = await trail.search({ sessionId: undefined, action: record.action, limit: 1, order: 'desc' });
    expect(found).toMatchObject({ justification: tricky, ticket: 'NULL', details: { note: '{}', list: ['a,b', '"c"'] } });
    expect(await verifyStore(trail.store, { verifiers: [keys.verifier] })).toMatchObject({ intact: true });
    await trail.close();
  });

  it('refuses malformed events: free-form actions, nested details, unknown reason codes', async () => {
    const { trail } = trailFor(ctx.database, { keys });
    const bad = [
      { ...sampleEvent(0), action: 'Login!' },
      { ...sampleEvent(0), details: { patient: { name: 'x' } } as never },
      { ...sampleEvent(0), reasonCode: 'WHATEVER' as never },
    ];
    for (const event of bad) {
      const error = await trail.append(event).catch((e: unknown) => e);
      expect(isWardError(error, 'VALIDATION_FAILED')).toBe(true);
    }
    await trail.close();
  });

  it('signs a timed checkpoint at the head when events arrived since the last one', async () => {
    const { trail } = trailFor(ctx.database, { interval: 100, keys });
    await appendMany(trail, 3);
    const checkpoint = await trail.checkpoint();
    expect(checkpoint).toMatchObject({ sequence: 3, previousSequence: 0, interval: 100 });
    expect(checkpoint!.signatures[0]).toMatchObject({ algorithm: 'Ed25519', keyId: keys.signer.keyId });
    expect(await trail.checkpoint()).toBeNull();
    await trail.close();
  });

  it('keeps one chain when two nodes append at the same time', async () => {
    const a = trailFor(ctx.database, { interval: 20, keys }).trail;
    const b = trailFor(ctx.database, { interval: 20, keys }).trail;
    await Promise.all([appendMany(a, 120), appendMany(b, 120)]);
    expect(await verifyStore(a.store, { verifiers: [keys.verifier] })).toMatchObject({ intact: true, events: 240, checkpoints: 12 });
    await a.close();
    await b.close();
  });

  it('reports outbox health in Prometheus metrics', async () => {
    const { trail } = trailFor(ctx.database, { keys });
    const registry = new Registry();
    const delivered: SinkItem[] = [];
    const outbox = createAuditOutbox({ store: trail.store, sinks: [{ name: 'memory', deliver: async (items) => void delivered.push(...items) }], clock: { now: Date.now }, registry });
    trail.onCommit(({ lastSequence }) => outbox.notify(lastSequence));
    outbox.start();
    await appendMany(trail, 7);
    await outbox.drain();
    const text = await registry.metrics();
    expect(text).toContain('ward_audit_sink_delivered_total{sink="memory"} 7');
    expect(text).toContain('ward_audit_sink_lag_events{sink="memory"} 0');
    await outbox.stop();
    await trail.close();
  });

  it('delivers to an HTTPS webhook with an HMAC signature the receiver can check', async () => {
    const key = 'whsec-test-key';
    const bodies: Array<{ body: string; signature: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push({ body, signature: String(req.headers['x-ward-signature']) });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    expect(() => createWebhookSink({ name: 'hook', url, secret: secret(key) })).toThrow(/https/);
    const { trail } = trailFor(ctx.database, { keys });
    const outbox = createAuditOutbox({ store: trail.store, sinks: [createWebhookSink({ name: 'hook', url, secret: secret(key), allowInsecure: true })], clock: { now: Date.now } });
    outbox.start();
    const records = await appendMany(trail, 3);
    await outbox.drain();
    await outbox.stop();
    await trail.close();
    server.close();
    const items = bodies.flatMap((b) => {
      expect(verifyWebhookSignature(key, b.signature, b.body)).toBe(true);
      expect(verifyWebhookSignature('wrong', b.signature, b.body)).toBe(false);
      return (JSON.parse(b.body) as { items: Array<{ event: AuditRecord }> }).items;
    });
    expect(items.map((i) => i.event.id)).toEqual(records.map((r) => r.id));
  });

  it('assembles for the composition root: key from the data dir, sinks fed on commit, routes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ward-audit-domain-'));
    const delivered: SinkItem[] = [];
    const registry = new Registry();
    const domain = createAuditDomain({
      db: ctx.database.db,
      dialect: ctx.dialect,
      clock: createManualClock(),
      logger: createLogger({ level: 'silent' }),
      nodeId: 'ward-1',
      dataDir,
      metrics: registry,
      sinks: [{ name: 'memory', deliver: async (items) => void delivered.push(...items) }],
      checkpointEvery: { events: 2, seconds: 60 },
    });
    try {
      domain.start();
      const record = await domain.trail.append(sampleEvent(0));
      await domain.trail.append(sampleEvent(1));
      await domain.outbox.drain();
      expect(delivered.map((i) => i.kind)).toEqual(['event', 'event', 'checkpoint']);
      expect(delivered[0]).toMatchObject({ record: { id: record.id, nodeId: 'ward-1' } });
      expect(typeof domain.routes).toBe('function');
      const text = await registry.metrics();
      expect(text).toContain('ward_audit_events_appended_total 2');
      expect(text).toContain('ward_audit_head_sequence 2');
    } finally {
      await domain.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

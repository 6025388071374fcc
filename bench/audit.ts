// Audit trail benchmarks: durable chained appends per second (SQLite, PostgreSQL) against plain unchained inserts of
// the same rows in the same run; verification speed; export lag to a real rsyslogd over TLS under load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { result, percentile, type BenchResult, type BenchSuite } from './harness.js';
import { openDatabase, migrateToLatest, type WardDatabase } from '../src/platform/database/index.js';
import { allMigrations } from '../src/server/migrations.js';
import { createAuditTrail } from '../src/audit/service.js';
import { createAuditStore } from '../src/audit/store.js';
import { verifyStore } from '../src/audit/verify.js';
import { ed25519Signer, ed25519Verifier } from '../src/audit/keys.js';
import { createAuditOutbox } from '../src/audit/outbox.js';
import { createSyslogSink } from '../src/audit/sinks/syslog.js';
import { systemClock } from '../src/platform/clock.js';
import { newId } from '../src/platform/ids.js';
import type { AuditEventInput } from '../src/audit/types.js';
import type { AuditSink } from '../src/audit/sinks/types.js';
import { postgresAvailable, createScratchDatabase } from '../test/support/postgres.js';
import { rsyslogAvailable, startRsyslog } from '../test/support/rsyslog.js';

const pair = generateKeyPairSync('ed25519');
const signer = ed25519Signer(pair.privateKey);
const verifier = ed25519Verifier(pair.publicKey);

function event(i: number): AuditEventInput {
  return {
    action: i % 3 === 0 ? 'auth.login' : 'access.grant.created',
    outcome: 'success',
    actor: { id: `u-${i % 500}`, kind: 'user', name: `user${i % 500}`, address: '10.1.2.3' },
    target: { type: 'target', id: `t-${i % 200}`, name: `ehr-db-${i % 200}`, account: 'postgres' },
    reasonCode: 'HSYSADMIN',
    ticket: `CHG-${i}`,
    details: { durationMinutes: 60 },
  };
}

async function freshDatabase(dialect: 'sqlite' | 'postgres'): Promise<{ database: WardDatabase; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ward-bench-audit-'));
    const database = openDatabase(`sqlite://${join(dir, 'ward.db')}`);
    await migrateToLatest(database.db, allMigrations, 'sqlite');
    return { database, cleanup: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const scratch = await createScratchDatabase('ward_bench');
  const database = openDatabase(scratch.url, { poolSize: 4 });
  await migrateToLatest(database.db, allMigrations, 'postgres');
  return { database, cleanup: async () => { await database.close(); await scratch.drop(); } };
}

/** Appends `count` events with `concurrency` callers in flight; returns events/s. */
async function chainedAppends(database: WardDatabase, count: number, concurrency: number): Promise<number> {
  const trail = createAuditTrail({ db: database.db, dialect: database.dialect, clock: systemClock, nodeId: 'bench', signers: [signer], checkpointEvery: { events: 1000, seconds: 60 } });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await trail.append(event(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await trail.close();
  return count / seconds;
}

/** The same rows, unchained and unsigned, inserted in transactions of the same size the trail reaches. */
async function plainInserts(database: WardDatabase, count: number, batch: number): Promise<number> {
  const store = createAuditStore(database.db, database.dialect);
  const started = performance.now();
  let sequence = 10_000_000;
  for (let done = 0; done < count; done += batch) {
    const rows = Array.from({ length: Math.min(batch, count - done) }, (_, k) => {
      const e = event(done + k);
      sequence += 1;
      const id = newId();
      return {
        sequence, id, time: Date.now(), node_id: 'bench', action: e.action, outcome: e.outcome, actor_id: e.actor.id ?? null,
        actor_name: e.actor.name ?? null, target_id: e.target?.id ?? null, target_name: e.target?.name ?? null, reason_code: e.reasonCode ?? null,
        session_id: null, body: JSON.stringify({ ...e, id, sequence }), prev_hash: Buffer.alloc(32), hash: Buffer.alloc(32),
      };
    });
    await store.transaction((trx) => store.insertEvents(trx, rows));
  }
  return count / ((performance.now() - started) / 1000);
}

async function appendBench(dialect: 'sqlite' | 'postgres', count: number): Promise<BenchResult> {
  const { database, cleanup } = await freshDatabase(dialect);
  try {
    const chained = await chainedAppends(database, count, 2000);
    const plain = await plainInserts(database, count, 2000);
    return result(`durable chained appends [${dialect}]`, chained, 'events/s', 'higher', { value: plain, name: 'plain unchained inserts' }, dialect === 'sqlite' ? '>= 50000 events/s' : undefined);
  } finally {
    await cleanup();
  }
}

async function verifyBench(events: number): Promise<BenchResult[]> {
  const { database, cleanup } = await freshDatabase('sqlite');
  try {
    await chainedAppends(database, events, 5000);
    const store = createAuditStore(database.db, 'sqlite');
    // Baseline: reading the same rows in the same pages without hashing or checking anything.
    let started = performance.now();
    let after = 0;
    while (true) {
      const page = await store.chainPage(after, 10_000, { withPreviousHash: false });
      if (page.length === 0) break;
      after = page[page.length - 1]!.sequence;
    }
    const readSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const verification = await verifyStore(store, { verifiers: [verifier] });
    const seconds = (performance.now() - started) / 1000;
    if (!verification.intact) throw new Error('bench chain did not verify');
    const perMillion = (seconds * 1_000_000) / events;
    return [
      result(`verification time per 1M events (${events} measured) [sqlite]`, perMillion, 's', 'lower', { value: (readSeconds * 1_000_000) / events, name: 'plain read of the same rows' }, '<= 3 s'),
    ];
  } finally {
    await cleanup();
  }
}

async function exportLagBench(rate: number, seconds: number): Promise<BenchResult[]> {
  if (!rsyslogAvailable()) return [];
  const rsyslog = await startRsyslog();
  const { database, cleanup } = await freshDatabase('sqlite');
  try {
    const committedAt = new Map<number, number>();
    const lagOutbox: number[] = [];
    const tls = { ca: rsyslog.caPem, servername: 'localhost' };
    const syslog = createSyslogSink({ name: 'siem', host: '127.0.0.1', port: rsyslog.tlsPort, tls, payload: 'json', hostname: 'bench' });
    const timed: AuditSink = {
      name: 'siem',
      async deliver(items) {
        await syslog.deliver(items);
        const now = performance.now();
        for (const item of items) if (item.kind === 'event') lagOutbox.push(now - (committedAt.get(item.record.sequence) ?? now));
      },
      close: () => syslog.close!(),
    };
    const trail = createAuditTrail({ db: database.db, dialect: 'sqlite', clock: systemClock, nodeId: 'bench', signers: [signer] });
    const outbox = createAuditOutbox({ store: trail.store, sinks: [timed], clock: systemClock, batchSize: 1000 });
    trail.onCommit(({ lastSequence }) => outbox.notify(lastSequence));
    outbox.start();
    // Baseline: the same messages written straight to the collector as each append commits (no outbox, no cursor).
    const direct = createSyslogSink({ name: 'direct', host: '127.0.0.1', port: rsyslog.tlsPort, tls, payload: 'json', hostname: 'bench-direct' });
    const lagDirect: number[] = [];
    const total = rate * seconds;
    const tick = 10;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    const started = performance.now();
    let sent = 0;
    const pending: Promise<void>[] = [];
    let directFailures = 0;
    while (sent < total) {
      for (let k = 0; k < perTick && sent < total; k += 1, sent += 1) {
        pending.push(
          trail.append(event(sent)).then(async (record) => {
            const t = performance.now();
            committedAt.set(record.sequence, t);
            await direct.deliver([{ kind: 'event', record }]);
            lagDirect.push(performance.now() - t);
          }).catch(() => {
            directFailures += 1;
          }),
        );
      }
      const due = started + (sent / rate) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
    await Promise.all(pending);
    await outbox.drain(60_000);
    await outbox.stop();
    await direct.close!();
    await trail.close();
    if (directFailures > 0) console.warn(`direct syslog baseline: ${directFailures} writes failed`);
    return [
      result(`syslog TLS export lag p50 at ${rate} events/s`, percentile(lagOutbox, 50), 'ms', 'lower', { value: percentile(lagDirect, 50), name: 'direct write per event' }),
      result(`syslog TLS export lag p99 at ${rate} events/s`, percentile(lagOutbox, 99), 'ms', 'lower', { value: percentile(lagDirect, 99), name: 'direct write per event' }),
    ];
  } finally {
    await cleanup();
    await rsyslog.stop();
  }
}

const suite: BenchSuite = async ({ quick }) => {
  const results: BenchResult[] = [];
  const appends = quick ? 20_000 : 200_000;
  results.push(await appendBench('sqlite', appends));
  if (await postgresAvailable().catch(() => false)) results.push(await appendBench('postgres', quick ? 10_000 : 100_000));
  results.push(...(await verifyBench(quick ? 100_000 : 1_000_000)));
  results.push(...(await exportLagBench(quick ? 2000 : 5000, quick ? 2 : 5)));
  return results;
};

export default suite;

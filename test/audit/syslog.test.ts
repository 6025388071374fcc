// Export to a real rsyslogd over TLS (RFC 5425 octet counting) and plain TCP, JSON and CEF payloads: the lines
// rsyslog wrote are parsed and compared with the trail, and the signed checkpoints arrive too.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, noteSkipped } from '../support/dialects.js';
import { parseReceived, rsyslogAvailable, startRsyslog, type RsyslogInstance } from '../support/rsyslog.js';
import { createAuditOutbox } from '../../src/audit/outbox.js';
import { createSyslogSink } from '../../src/audit/sinks/syslog.js';
import { canonicalStatement } from '../../src/audit/chain.js';
import type { AuditCheckpoint, AuditRecord } from '../../src/audit/types.js';
import { appendMany, resetAudit, testKeys, trailFor } from './helpers.js';

const available = rsyslogAvailable();
if (!available) noteSkipped('audit syslog export', 'rsyslogd not installed');

let rsyslog: RsyslogInstance | undefined;
beforeAll(async () => {
  if (available) rsyslog = await startRsyslog();
});
afterAll(async () => {
  await rsyslog?.stop();
});

async function waitForLines(filter: (line: string) => boolean, count: number) {
  for (let i = 0; i < 400; i += 1) {
    const lines = rsyslog!.lines().filter(filter);
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`rsyslog received ${rsyslog!.lines().filter(filter).length} of ${count} lines`);
}

describeEachDialect('audit export to rsyslog', (ctx) => {
  const keys = testKeys();
  beforeEach(async (test) => {
    if (!available) test.skip();
    await resetAudit(ctx.database.db);
  });

  it('delivers every event and checkpoint over TLS as RFC 5424 with a JSON payload', async () => {
    const host = `json-${ctx.dialect}`;
    const { trail } = trailFor(ctx.database, { interval: 10, keys });
    const sink = createSyslogSink({ name: 'siem', host: '127.0.0.1', port: rsyslog!.tlsPort, tls: { ca: rsyslog!.caPem, servername: 'localhost' }, payload: 'json', hostname: host });
    const outbox = createAuditOutbox({ store: trail.store, sinks: [sink], clock: { now: Date.now } });
    trail.onCommit(({ lastSequence }) => outbox.notify(lastSequence));
    outbox.start();
    const records = await appendMany(trail, 25);
    await outbox.drain();
    await outbox.stop();
    await trail.close();

    const lines = (await waitForLines((l) => l.includes(`|${host}|`), 27)).map(parseReceived);
    const events = lines.filter((l) => l.msgId === 'audit');
    expect(events.map((e) => JSON.parse(e.msg) as AuditRecord & { type: string })).toEqual(records.map((r) => ({ type: 'audit.event', ...JSON.parse(JSON.stringify(r)) })));
    for (const [i, line] of events.entries()) {
      const record = records[i]!;
      expect(line.appName).toBe('ward');
      expect(line.pri).toBe(13 * 8 + (record.action.startsWith('access.breakglass.') ? 1 : record.outcome === 'success' ? 6 : 4));
      expect(new Date(line.time).getTime()).toBe(record.time);
      expect(line.structuredData).toBe(`[ward@32473 seq="${record.sequence}" action="${record.action}" outcome="${record.outcome}"]`);
    }
    const checkpoints = lines.filter((l) => l.msgId === 'checkpoint').map((l) => JSON.parse(l.msg) as AuditCheckpoint & { type?: string });
    expect(checkpoints.map((c) => c.sequence)).toEqual([10, 20]);
    for (const checkpoint of checkpoints) {
      const { signatures, type: _type, ...statement } = checkpoint;
      const message = Buffer.from(canonicalStatement(statement));
      expect(await keys.verifier.verify(message, Buffer.from(signatures[0]!.signature, 'base64'))).toBe(true);
    }
  });

  it('refuses a collector whose certificate does not chain to the configured CA', async () => {
    const sink = createSyslogSink({ name: 'untrusted', host: '127.0.0.1', port: rsyslog!.tlsPort, tls: {}, payload: 'json', hostname: 'untrusted' });
    const record = { id: 'x', sequence: 1, time: 0, nodeId: 'n', action: 'auth.login', outcome: 'success' as const, actor: { kind: 'user' as const } };
    await expect(sink.deliver([{ kind: 'event', record }])).rejects.toThrow(/certificate/);
    await sink.close?.();
  });

  it('delivers CEF payloads over plain TCP', async () => {
    const host = `cef-${ctx.dialect}`;
    const { trail } = trailFor(ctx.database, { interval: 100, keys });
    const sink = createSyslogSink({ name: 'cef', host: '127.0.0.1', port: rsyslog!.tcpPort, payload: 'cef', hostname: host });
    const outbox = createAuditOutbox({ store: trail.store, sinks: [sink], clock: { now: Date.now } });
    trail.onCommit(({ lastSequence }) => outbox.notify(lastSequence));
    outbox.start();
    const records = await appendMany(trail, 8);
    await outbox.drain();
    await outbox.stop();
    await trail.close();
    const lines = (await waitForLines((l) => l.includes(`|${host}|`), 8)).map(parseReceived);
    expect(lines).toHaveLength(8);
    const breakglass = lines[2]!.msg;
    expect(breakglass).toMatch(/^CEF:0\|Ward\|Ward\|[^|]+\|access\.breakglass\.started\|Emergency Override Started\|9\|/);
    expect(breakglass).toContain(`cn1=${records[2]!.sequence}`);
    expect(breakglass).toContain('cs1Label=purposeOfUse cs1=ETREAT');
    expect(breakglass).toContain('cs4=110113/110127');
    expect(lines[3]!.msg).toContain('outcome=failure');
  });

  it('keeps retrying with back-off while the collector is down, then delivers everything', async () => {
    const host = `retry-${ctx.dialect}`;
    const { freePort } = await import('../support/rsyslog.js');
    const { trail } = trailFor(ctx.database, { interval: 100, keys });
    let port = await freePort(); // nothing listens here yet
    const sink = createSyslogSink({ name: 'later', host: '127.0.0.1', port, payload: 'json', hostname: host });
    const real = createSyslogSink({ name: 'later', host: '127.0.0.1', port: rsyslog!.tlsPort, tls: { ca: rsyslog!.caPem, servername: 'localhost' }, payload: 'json', hostname: host });
    let failures = 0;
    const switching = {
      name: 'later',
      async deliver(items: Parameters<typeof sink.deliver>[0]) {
        if (port !== 0) {
          failures += 1;
          if (failures >= 2) port = 0;
          return sink.deliver(items);
        }
        return real.deliver(items);
      },
      close: async () => {
        await real.close?.();
      },
    };
    const outbox = createAuditOutbox({ store: trail.store, sinks: [switching], clock: { now: Date.now }, backoff: { initialMs: 20, maxMs: 40 } });
    outbox.start();
    // Appends complete although the sink is down: the outbox never blocks the write path.
    await appendMany(trail, 5);
    await outbox.drain();
    const [health] = await outbox.health();
    expect(health).toMatchObject({ sink: 'later', lag: 0, delivered: 5 });
    expect(health!.lastError).toMatch(/ECONNREFUSED/);
    await outbox.stop();
    await trail.close();
    await waitForLines((l) => l.includes(`|${host}|`), 5);
  });
});

// The export outbox: each sink reads the committed chain from its own persisted cursor and delivers at least once,
// retrying with capped exponential back-off. Appends never wait for it; a stuck sink only grows its lag.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { AuditStore } from './store.js';
import type { AuditRecord } from './types.js';
import type { AuditSink, SinkItem } from './sinks/types.js';

export interface SinkHealth {
  sink: string;
  /** Last event delivered. */
  sequence: number;
  /** Committed events not yet delivered. */
  lag: number;
  delivered: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastSuccessAt: number | null;
}

export interface OutboxDeps {
  store: AuditStore;
  sinks: AuditSink[];
  clock: Clock;
  logger?: Pick<Logger, 'warn'> | undefined;
  registry?: Registry | undefined;
  batchSize?: number;
  /** Back-off after a failure: doubles from `initialMs` to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** How often to look for work when nobody notifies (other nodes' appends). */
  pollMs?: number;
}

export interface AuditOutbox {
  start(): void;
  /** Wakes the sinks (the trail calls this after each commit). */
  notify(lastSequence?: number): void;
  health(): Promise<SinkHealth[]>;
  /** Resolves when every sink has delivered up to the current head (tests, shutdown). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function createAuditOutbox(deps: OutboxDeps): AuditOutbox {
  const batchSize = deps.batchSize ?? 500;
  const backoff = deps.backoff ?? { initialMs: 500, maxMs: 60_000 };
  const pollMs = deps.pollMs ?? 2000;
  let head = 0;
  let stopped = true;
  const state = new Map<string, { cursor: number; wake: (() => void) | null; interrupt: (() => void) | null; running: Promise<void> | null }>();

  const registers = deps.registry ? [deps.registry] : [];
  const lagGauge = new Gauge({
    name: 'ward_audit_sink_lag_events',
    help: 'Committed audit events not yet delivered to the sink',
    labelNames: ['sink'],
    registers,
    collect() {
      for (const [sink, s] of state) this.set({ sink }, Math.max(0, head - s.cursor));
    },
  });
  const deliveredCounter = new Counter({ name: 'ward_audit_sink_delivered_total', help: 'Audit events delivered to the sink', labelNames: ['sink'], registers });
  const failureCounter = new Counter({ name: 'ward_audit_sink_failures_total', help: 'Failed deliveries to the sink', labelNames: ['sink'], registers });
  const successGauge = new Gauge({ name: 'ward_audit_sink_last_success_seconds', help: 'When the sink last accepted a batch (epoch seconds)', labelNames: ['sink'], registers });
  const errorGauge = new Gauge({ name: 'ward_audit_sink_last_error_seconds', help: 'When the sink last failed (epoch seconds, 0 if never)', labelNames: ['sink'], registers });
  void lagGauge;

  async function cursorOf(sink: string) {
    const row = await deps.store.db.selectFrom('audit_sink_cursors').selectAll().where('sink', '=', sink).executeTakeFirst();
    if (row) return row;
    const fresh = { sink, sequence: 0, checkpoint_sequence: 0, delivered: 0, last_error: null, last_error_at: null, last_success_at: null };
    await deps.store.db.insertInto('audit_sink_cursors').values(fresh).onConflict((oc) => oc.column('sink').doNothing()).execute();
    return fresh;
  }

  /** Waits `ms`; a notify cuts an idle wait short but not a back-off, stop cuts both. */
  function sleep(sink: string, ms: number, wakeOnNotify: boolean): Promise<void> {
    const s = state.get(sink)!;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        s.wake = null;
        s.interrupt = null;
        resolve();
      }
      s.interrupt = done;
      if (wakeOnNotify) s.wake = done;
    });
  }

  async function runSink(sink: AuditSink) {
    let delay = 0;
    while (!stopped) {
      try {
        const cursor = await cursorOf(sink.name);
        const eventCursor = Number(cursor.sequence);
        const checkpointCursor = Number(cursor.checkpoint_sequence);
        state.get(sink.name)!.cursor = eventCursor;
        const rows = await deps.store.chainPage(eventCursor, batchSize, { withPreviousHash: false });
        const last = rows.length ? rows[rows.length - 1]!.sequence : eventCursor;
        head = Math.max(head, last);
        const checkpoints = (await deps.store.checkpoints(checkpointCursor + 1, last)).map((c) => deps.store.parseCheckpoint(c));
        if (rows.length === 0 && checkpoints.length === 0) {
          await sleep(sink.name, pollMs, true);
          continue;
        }
        const items: SinkItem[] = [];
        let c = 0;
        for (const row of rows) {
          while (c < checkpoints.length && checkpoints[c]!.sequence < row.sequence) items.push({ kind: 'checkpoint', checkpoint: checkpoints[c++]! });
          items.push({ kind: 'event', record: JSON.parse(row.body) as AuditRecord });
        }
        while (c < checkpoints.length) items.push({ kind: 'checkpoint', checkpoint: checkpoints[c++]! });
        await sink.deliver(items);
        const now = deps.clock.now();
        await deps.store.db
          .updateTable('audit_sink_cursors')
          .set({
            sequence: last,
            checkpoint_sequence: checkpoints.length ? checkpoints[checkpoints.length - 1]!.sequence : checkpointCursor,
            delivered: Number(cursor.delivered) + rows.length,
            last_success_at: now,
          })
          .where('sink', '=', sink.name)
          .execute();
        state.get(sink.name)!.cursor = last;
        deliveredCounter.inc({ sink: sink.name }, rows.length);
        successGauge.set({ sink: sink.name }, now / 1000);
        delay = 0;
      } catch (error) {
        failureCounter.inc({ sink: sink.name });
        errorGauge.set({ sink: sink.name }, deps.clock.now() / 1000);
        const message = error instanceof Error ? error.message : String(error);
        deps.logger?.warn({ sink: sink.name, err: message }, 'audit sink delivery failed; will retry');
        await deps.store.db
          .updateTable('audit_sink_cursors')
          .set({ last_error: message.slice(0, 500), last_error_at: deps.clock.now() })
          .where('sink', '=', sink.name)
          .execute()
          .catch(() => {});
        delay = delay === 0 ? backoff.initialMs : Math.min(backoff.maxMs, delay * 2);
        await sleep(sink.name, delay, false);
      }
    }
  }

  const outbox: AuditOutbox = {
    start() {
      if (!stopped) return;
      stopped = false;
      for (const sink of deps.sinks) {
        const s = { cursor: 0, wake: null, interrupt: null, running: null as Promise<void> | null };
        state.set(sink.name, s);
        s.running = runSink(sink);
      }
    },
    notify(lastSequence) {
      if (lastSequence !== undefined) head = Math.max(head, lastSequence);
      for (const s of state.values()) s.wake?.();
    },
    async health() {
      const rows = await deps.store.db.selectFrom('audit_sink_cursors').selectAll().execute();
      const current = (await deps.store.readHead()).sequence;
      head = Math.max(head, current);
      return deps.sinks.map((sink) => {
        const row = rows.find((r) => r.sink === sink.name);
        const sequence = Number(row?.sequence ?? 0);
        return {
          sink: sink.name,
          sequence,
          lag: Math.max(0, current - sequence),
          delivered: Number(row?.delivered ?? 0),
          lastError: row?.last_error ?? null,
          lastErrorAt: row?.last_error_at === null || row?.last_error_at === undefined ? null : Number(row.last_error_at),
          lastSuccessAt: row?.last_success_at === null || row?.last_success_at === undefined ? null : Number(row.last_success_at),
        };
      });
    },
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const health = await outbox.health();
        const { checkpointSequence } = await deps.store.readHead();
        const rows = await deps.store.db.selectFrom('audit_sink_cursors').select(['sink', 'checkpoint_sequence']).execute();
        const checkpointsDone = deps.sinks.every((s) => Number(rows.find((r) => r.sink === s.name)?.checkpoint_sequence ?? 0) >= checkpointSequence);
        if (health.every((h) => h.lag === 0) && checkpointsDone) return;
        if (Date.now() > deadline) throw new Error(`audit sinks did not catch up: ${JSON.stringify(health)}`);
        outbox.notify();
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      stopped = true;
      for (const s of state.values()) s.interrupt?.();
      await Promise.all([...state.values()].map((s) => s.running));
      state.clear();
      await Promise.all(deps.sinks.map((s) => s.close?.()));
    },
  };
  return outbox;
}

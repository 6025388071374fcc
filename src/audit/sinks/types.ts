// What an export sink receives: events and the signed checkpoints between them, in chain order.
import type { AuditCheckpoint, AuditRecord } from '../types.js';

export type SinkItem = { kind: 'event'; record: AuditRecord } | { kind: 'checkpoint'; checkpoint: AuditCheckpoint };

export interface AuditSink {
  /** Stable name: the key of its persisted cursor and its metric label. */
  readonly name: string;
  /** Delivers the items or throws; the outbox retries the whole batch (at-least-once). */
  deliver(items: SinkItem[]): Promise<void>;
  close?(): Promise<void>;
}

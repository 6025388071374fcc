// The audit trail: group-committed, hash-chained appends with signed checkpoints, search, and commit notifications
// for the export outbox. An append resolves only after its transaction committed; a store failure fails closed.
import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Database, DialectName } from '../platform/database/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { WardError, isWardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { canonicalRecord, canonicalStatement, chainHash } from './chain.js';
import { createAuditStore, type AuditStore } from './store.js';
import type { AuditEventsTable } from './tables.js';
import {
  purposeOfUseCodes,
  type AuditCheckpoint,
  type AuditEventInput,
  type AuditLog,
  type AuditQuery,
  type AuditRecord,
  type AuditSpool,
  type CheckpointSignature,
  type CheckpointSigner,
  type CheckpointStatement,
} from './types.js';

export interface AuditTrailDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  clock: Clock;
  nodeId: string;
  signers: CheckpointSigner[];
  logger?: Pick<Logger, 'error' | 'warn'> | undefined;
  /** Sign a checkpoint after this many events or this many seconds with new events (defaults 1000 / 60). */
  checkpointEvery?: { events?: number; seconds?: number } | undefined;
  /** Break-glass local spool: takes custody of events when the store cannot be written. */
  spool?: AuditSpool | undefined;
  /** Largest group commit (default 5000 events). */
  maxBatch?: number | undefined;
  /** Prometheus registry for append, failure and batch metrics. */
  metrics?: Registry | undefined;
}

export type CommitListener = (info: { lastSequence: number; checkpoints: AuditCheckpoint[] }) => void;

export interface AuditTrail extends AuditLog {
  readonly store: AuditStore;
  search(query: AuditQuery): Promise<AuditRecord[]>;
  /** Signs a checkpoint at the head now if events arrived since the last one; returns it or null. */
  checkpoint(): Promise<AuditCheckpoint | null>;
  head(): Promise<{ sequence: number; checkpointSequence: number }>;
  /** For /readyz: are the chain head and the event table readable? (Appends fail closed when they are not.) */
  ready(): Promise<boolean>;
  onCommit(listener: CommitListener): () => void;
  /** Flushes queued appends, stops the checkpoint timer. */
  close(): Promise<void>;
}

interface Pending {
  event: AuditEventInput;
  time: number;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

const actionPattern = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const outcomes = new Set(['success', 'failure', 'denied']);
const reasonCodes = new Set<string>(purposeOfUseCodes);

function validate(event: AuditEventInput): void {
  if (!actionPattern.test(event.action)) throw new WardError('VALIDATION_FAILED', `audit action "${event.action}" is not a dotted code`);
  if (!outcomes.has(event.outcome)) throw new WardError('VALIDATION_FAILED', `audit outcome "${event.outcome}" is unknown`);
  if (event.reasonCode !== undefined && !reasonCodes.has(event.reasonCode)) {
    throw new WardError('VALIDATION_FAILED', `reason code "${event.reasonCode}" is not an HL7 PurposeOfUse code Ward accepts`);
  }
  for (const [key, value] of Object.entries(event.details ?? {})) {
    const scalar = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    const strings = Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (!scalar && !strings) throw new WardError('VALIDATION_FAILED', `audit detail "${key}" must be a scalar or a list of strings`);
  }
}

/** Signs canonical text with every signer (Ed25519, and ML-DSA once the vault adds it). */
export async function signCanonical(canonical: string, signers: CheckpointSigner[]): Promise<CheckpointSignature[]> {
  const message = Buffer.from(canonical, 'utf8');
  const signatures: CheckpointSignature[] = [];
  for (const signer of signers) {
    const signature = await signer.sign(message);
    signatures.push({ algorithm: signer.algorithm, keyId: signer.keyId, signature: Buffer.from(signature).toString('base64') });
  }
  return signatures;
}

export async function signStatement(statement: CheckpointStatement, signers: CheckpointSigner[]) {
  const canonical = canonicalStatement(statement);
  return { canonical, signatures: await signCanonical(canonical, signers) };
}

export function createAuditTrail(deps: AuditTrailDeps): AuditTrail {
  if (deps.signers.length === 0) throw new Error('the audit trail needs at least one checkpoint signer');
  const store = createAuditStore(deps.db, deps.dialect);
  const interval = deps.checkpointEvery?.events ?? 1000;
  const seconds = deps.checkpointEvery?.seconds ?? 60;
  const maxBatch = deps.maxBatch ?? 5000;
  const listeners = new Set<CommitListener>();
  let queue: Pending[] = [];
  let scheduled = false;
  let flushing: Promise<void> | null = null;
  let closed = false;
  const registers = deps.metrics ? [deps.metrics] : [];
  const appended = new Counter({ name: 'ward_audit_events_appended_total', help: 'Audit events committed to the chain', registers });
  const failed = new Counter({ name: 'ward_audit_append_failures_total', help: 'Audit appends refused because the store could not be written (fail closed)', registers });
  const batchSizes = new Histogram({ name: 'ward_audit_commit_batch_events', help: 'Events per group commit', buckets: [1, 4, 16, 64, 256, 1024, 4096], registers });
  const headGauge = new Gauge({ name: 'ward_audit_head_sequence', help: 'Sequence number of the newest committed audit event', registers });

  async function makeCheckpoint(sequence: number, hash: Buffer, previousSequence: number) {
    const statement: CheckpointStatement = {
      version: 1,
      sequence,
      hash: hash.toString('hex'),
      time: deps.clock.now(),
      nodeId: deps.nodeId,
      previousSequence,
      interval,
    };
    const { canonical, signatures } = await signStatement(statement, deps.signers);
    return { statement, canonical, signatures };
  }

  async function commit(batch: Pending[]): Promise<{ records: AuditRecord[]; checkpoints: AuditCheckpoint[] }> {
    return store.transaction(async (trx) => {
      const head = await store.lockHead(trx);
      let sequence = head.sequence;
      let previous = head.hash;
      let checkpointSequence = head.checkpointSequence;
      const rows: AuditEventsTable[] = [];
      const records: AuditRecord[] = [];
      const checkpoints: AuditCheckpoint[] = [];
      for (const item of batch) {
        sequence += 1;
        const record: AuditRecord = { ...item.event, id: newId(), sequence, time: item.time, nodeId: deps.nodeId };
        const body = canonicalRecord(record);
        const hash = chainHash(previous, body);
        rows.push({
          sequence,
          id: record.id,
          time: record.time,
          node_id: deps.nodeId,
          action: record.action,
          outcome: record.outcome,
          actor_id: record.actor.id ?? null,
          actor_name: record.actor.name ?? null,
          target_id: record.target?.id ?? null,
          target_name: record.target?.name ?? null,
          reason_code: record.reasonCode ?? null,
          session_id: record.sessionId ?? null,
          body,
          prev_hash: previous,
          hash,
        });
        records.push(record);
        previous = hash;
        // Checkpoints fall exactly on the interval, so a gap wider than `interval` always means one is missing.
        if (sequence - checkpointSequence >= interval) {
          const made = await makeCheckpoint(sequence, hash, checkpointSequence);
          await store.insertCheckpoint(trx, made.statement, made.canonical, made.signatures);
          checkpoints.push({ ...made.statement, signatures: made.signatures });
          checkpointSequence = sequence;
        }
      }
      await store.insertEvents(trx, rows);
      await store.updateHead(trx, { sequence, hash: previous, checkpointSequence }, deps.clock.now());
      return { records, checkpoints };
    });
  }

  function notify(lastSequence: number, checkpoints: AuditCheckpoint[]) {
    for (const listener of listeners) {
      try {
        listener({ lastSequence, checkpoints });
      } catch (error) {
        deps.logger?.warn({ err: error }, 'audit commit listener failed');
      }
    }
  }

  async function failClosed(batch: Pending[], error: unknown) {
    failed.inc(batch.length);
    deps.logger?.error({ err: error }, 'audit store cannot be written; failing closed');
    for (const item of batch) {
      let spooled: AuditRecord | null = null;
      if (deps.spool) {
        try {
          spooled = await deps.spool.accept(item.event, error);
        } catch (spoolError) {
          deps.logger?.error({ err: spoolError }, 'audit spool refused the event');
        }
      }
      if (spooled) item.resolve(spooled);
      else item.reject(new WardError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; the action was not performed.', undefined, { cause: error }));
    }
  }

  async function flush(): Promise<void> {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      try {
        const { records, checkpoints } = await commit(batch);
        batch.forEach((item, i) => item.resolve(records[i]!));
        appended.inc(records.length);
        batchSizes.observe(records.length);
        headGauge.set(records[records.length - 1]!.sequence);
        notify(records[records.length - 1]!.sequence, checkpoints);
      } catch (error) {
        await failClosed(batch, error);
      }
    }
  }

  function schedule() {
    if (scheduled || flushing) return;
    scheduled = true;
    // setImmediate lets every append issued in this turn of the event loop join the same transaction.
    setImmediate(() => {
      flushing = flush().finally(() => {
        flushing = null;
        if (queue.length > 0) schedule();
      });
    });
  }

  async function checkpoint(): Promise<AuditCheckpoint | null> {
    return store.transaction(async (trx) => {
      const head = await store.lockHead(trx);
      if (head.sequence === head.checkpointSequence) return null;
      const made = await makeCheckpoint(head.sequence, head.hash, head.checkpointSequence);
      await store.insertCheckpoint(trx, made.statement, made.canonical, made.signatures);
      await store.updateHead(trx, { sequence: head.sequence, hash: head.hash, checkpointSequence: head.sequence }, deps.clock.now());
      return { ...made.statement, signatures: made.signatures };
    });
  }

  const timer = setInterval(() => {
    checkpoint()
      .then((made) => {
        if (made) notify(made.sequence, [made]);
      })
      .catch((error: unknown) => deps.logger?.warn({ err: error }, 'timed audit checkpoint failed'));
  }, seconds * 1000);
  timer.unref();

  return {
    store,
    append(event) {
      if (closed) return Promise.reject(new WardError('AUDIT_UNAVAILABLE', 'The audit trail is closed.'));
      try {
        validate(event);
      } catch (error) {
        return Promise.reject(isWardError(error) ? error : new WardError('VALIDATION_FAILED', String(error)));
      }
      return new Promise<AuditRecord>((resolve, reject) => {
        queue.push({ event, time: deps.clock.now(), resolve, reject });
        schedule();
      });
    },
    search: (query) => store.search(query),
    checkpoint: async () => {
      const made = await checkpoint();
      if (made) notify(made.sequence, [made]);
      return made;
    },
    async head() {
      const head = await store.readHead();
      return { sequence: head.sequence, checkpointSequence: head.checkpointSequence };
    },
    async ready() {
      try {
        await store.readHead();
        await store.chainPage(Number.MAX_SAFE_INTEGER - 1, 1, { withPreviousHash: false });
        return true;
      } catch {
        return false;
      }
    },
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      while (scheduled || flushing) {
        if (flushing) await flushing;
        else await new Promise((r) => setImmediate(r));
      }
    },
  };
}

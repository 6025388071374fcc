// Queries of the audit trail: batch insert under the head lock, keyset reads for verification and sinks, search.
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { Database, DialectName } from '../platform/database/index.js';
import type { AuditCheckpoint, AuditQuery, AuditRecord, CheckpointSignature, CheckpointStatement } from './types.js';
import type { AuditEventsTable, AuditHeadTable } from './tables.js';

export interface HeadRow {
  sequence: number;
  hash: Buffer;
  checkpointSequence: number;
  prunedBefore: number;
  prunedHash: Buffer;
}

export interface StoredCheckpoint {
  sequence: number;
  statement: string;
  signatures: CheckpointSignature[];
}

export interface ChainRow {
  sequence: number;
  body: string;
  /** Left out by verification's fast path, which links rows by recomputation and reads this only on a mismatch. */
  prev_hash?: Buffer;
  hash: Buffer;
}

// Rows per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535 bound-parameter limits with 15 columns.
const INSERT_CHUNK = 500;
const EVENT_COLUMNS = [
  'sequence', 'id', 'time', 'node_id', 'action', 'outcome', 'actor_id', 'actor_name', 'target_id', 'target_name',
  'reason_code', 'session_id', 'body', 'prev_hash', 'hash',
] as const satisfies ReadonlyArray<keyof AuditEventsTable>;

const POSTGRES_COLUMN_TYPES = ['bigint', 'text', 'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bytea', 'bytea'];
const POSTGRES_UNNEST_INSERT = `insert into audit_events (${EVENT_COLUMNS.join(',')}) select * from unnest(${POSTGRES_COLUMN_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(',')})`;

/** A multi-row INSERT text for `rows` rows; cached per size, since the hot path reuses one or two sizes. */
const insertTexts = new Map<string, string>();
function insertText(dialect: DialectName, rows: number): string {
  const key = `${dialect}:${rows}`;
  let text = insertTexts.get(key);
  if (!text) {
    const width = EVENT_COLUMNS.length;
    const tuples = Array.from({ length: rows }, (_, r) =>
      `(${EVENT_COLUMNS.map((_, c) => (dialect === 'postgres' ? `$${r * width + c + 1}` : '?')).join(',')})`,
    );
    text = `insert into audit_events (${EVENT_COLUMNS.join(',')}) values ${tuples.join(',')}`;
    insertTexts.set(key, text);
  }
  return text;
}

export function createAuditStore(db: Kysely<Database>, dialect: DialectName) {
  function toHead(row: Pick<AuditHeadTable, 'sequence' | 'hash' | 'checkpoint_sequence' | 'pruned_before' | 'pruned_hash'>): HeadRow {
    return {
      sequence: Number(row.sequence),
      hash: Buffer.from(row.hash),
      checkpointSequence: Number(row.checkpoint_sequence),
      prunedBefore: Number(row.pruned_before),
      prunedHash: Buffer.from(row.pruned_hash),
    };
  }

  return {
    db,
    dialect,
    transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return db.transaction().execute(work);
    },

    /** Reads the chain head; inside a transaction on PostgreSQL it locks the row so nodes append in turn. */
    async lockHead(trx: Transaction<Database>): Promise<HeadRow> {
      // SQLite: write first so the transaction takes the write lock up front (waiting under busy_timeout) instead of
      // reading a snapshot that another process (`ward audit archive`) could make stale before our write.
      if (dialect === 'sqlite') await trx.updateTable('audit_head').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', 1).execute();
      let query = trx.selectFrom('audit_head').select(['sequence', 'hash', 'checkpoint_sequence', 'pruned_before', 'pruned_hash']).where('id', '=', 1);
      if (dialect === 'postgres') query = query.forUpdate();
      return toHead(await query.executeTakeFirstOrThrow());
    },

    async readHead(executor: Kysely<Database> = db): Promise<HeadRow> {
      const row = await executor
        .selectFrom('audit_head')
        .select(['sequence', 'hash', 'checkpoint_sequence', 'pruned_before', 'pruned_hash'])
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      return toHead(row);
    },

    /** The hot path of group commit: one prepared multi-row INSERT per chunk, no query builder per row. */
    async insertEvents(trx: Transaction<Database>, rows: AuditEventsTable[]): Promise<void> {
      if (dialect === 'postgres') {
        // One statement per batch: each column travels as one array parameter and unnest() zips them into rows.
        const columns = EVENT_COLUMNS.map((column) => rows.map((row) => row[column]));
        await trx.executeQuery(CompiledQuery.raw(POSTGRES_UNNEST_INSERT, columns));
        return;
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows.slice(i, i + INSERT_CHUNK);
        const parameters: unknown[] = [];
        for (const row of chunk) for (const column of EVENT_COLUMNS) parameters.push(row[column]);
        await trx.executeQuery(CompiledQuery.raw(insertText(dialect, chunk.length), parameters));
      }
    },

    async insertCheckpoint(trx: Transaction<Database>, statement: CheckpointStatement, canonical: string, signatures: CheckpointSignature[]) {
      await trx
        .insertInto('audit_checkpoints')
        .values({ sequence: statement.sequence, time: statement.time, statement: canonical, signatures: JSON.stringify(signatures) })
        .execute();
    },

    async updateHead(trx: Transaction<Database>, head: { sequence: number; hash: Buffer; checkpointSequence: number }, now: number) {
      await trx
        .updateTable('audit_head')
        .set({ sequence: head.sequence, hash: head.hash, checkpoint_sequence: head.checkpointSequence, updated_at: now })
        .where('id', '=', 1)
        .execute();
    },

    /** Chain rows with sequence > after, in sequence order (verification, archives). */
    async chainPage(after: number, limit: number, options: { upTo?: number; withPreviousHash?: boolean } = {}): Promise<ChainRow[]> {
      const withPrevious = options.withPreviousHash ?? true;
      const rows = await db
        .selectFrom('audit_events')
        .select(withPrevious ? ['sequence', 'body', 'prev_hash', 'hash'] : ['sequence', 'body', 'hash'])
        .where('sequence', '>', after)
        .where('sequence', '<=', options.upTo ?? Number.MAX_SAFE_INTEGER)
        .orderBy('sequence')
        .limit(limit)
        .execute();
      return rows.map((r) => {
        const row: ChainRow = { sequence: Number(r.sequence), body: r.body, hash: r.hash as Buffer };
        if (withPrevious) row.prev_hash = (r as unknown as { prev_hash: Buffer }).prev_hash;
        return row;
      });
    },

    async previousHashOf(sequence: number): Promise<Buffer | null> {
      const row = await db.selectFrom('audit_events').select('prev_hash').where('sequence', '=', sequence).executeTakeFirst();
      return row ? (row.prev_hash as Buffer) : null;
    },

    async checkpoints(from = 0, to = Number.MAX_SAFE_INTEGER): Promise<StoredCheckpoint[]> {
      const rows = await db
        .selectFrom('audit_checkpoints')
        .select(['sequence', 'statement', 'signatures'])
        .where('sequence', '>=', from)
        .where('sequence', '<=', to)
        .orderBy('sequence')
        .execute();
      return rows.map((r) => ({ sequence: Number(r.sequence), statement: r.statement, signatures: JSON.parse(r.signatures) as CheckpointSignature[] }));
    },

    async search(query: AuditQuery): Promise<AuditRecord[]> {
      let q = db.selectFrom('audit_events').select('body');
      if (query.actorId) q = q.where('actor_id', '=', query.actorId);
      if (query.actorName) q = q.where('actor_name', '=', query.actorName);
      if (query.targetId) q = q.where('target_id', '=', query.targetId);
      if (query.targetName) q = q.where('target_name', '=', query.targetName);
      if (query.action) q = q.where('action', '=', query.action);
      if (query.actionPrefix) q = q.where('action', 'like', `${query.actionPrefix.replace(/[\\%_]/g, '\\$&')}%`);
      if (query.outcome) q = q.where('outcome', '=', query.outcome);
      if (query.reasonCode) q = q.where('reason_code', '=', query.reasonCode);
      if (query.sessionId) q = q.where('session_id', '=', query.sessionId);
      if (query.from !== undefined) q = q.where('time', '>=', query.from);
      if (query.to !== undefined) q = q.where('time', '<', query.to);
      const desc = query.order === 'desc';
      if (query.afterSequence !== undefined) q = q.where('sequence', desc ? '<' : '>', query.afterSequence);
      const rows = await q
        .orderBy('sequence', desc ? 'desc' : 'asc')
        .limit(query.limit ?? 100)
        .execute();
      return rows.map((r) => JSON.parse(r.body) as AuditRecord);
    },

    async countAfter(sequence: number): Promise<number> {
      const row = await db
        .selectFrom('audit_events')
        .select(sql<number>`count(*)`.as('n'))
        .where('sequence', '>', sequence)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    parseCheckpoint(stored: StoredCheckpoint): AuditCheckpoint {
      return { ...(JSON.parse(stored.statement) as CheckpointStatement), signatures: stored.signatures };
    },
  };
}

export type AuditStore = ReturnType<typeof createAuditStore>;

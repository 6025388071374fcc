// The audit trail's tables: chained events, signed checkpoints, the chain head, and sink cursors (the outbox).
declare module '../platform/database/schema.js' {
  interface Database {
    audit_events: AuditEventsTable;
    audit_checkpoints: AuditCheckpointsTable;
    audit_head: AuditHeadTable;
    audit_sink_cursors: AuditSinkCursorsTable;
    audit_archives: AuditArchivesTable;
  }
}

export interface AuditEventsTable {
  sequence: number;
  id: string;
  time: number;
  node_id: string;
  action: string;
  outcome: string;
  actor_id: string | null;
  actor_name: string | null;
  target_id: string | null;
  target_name: string | null;
  reason_code: string | null;
  session_id: string | null;
  /** The JCS canonical JSON of the whole record: the bytes that are hashed and the truth queries return. */
  body: string;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

export interface AuditCheckpointsTable {
  sequence: number;
  time: number;
  /** JCS canonical statement: the signed bytes. */
  statement: string;
  /** JSON array of { algorithm, keyId, signature }. */
  signatures: string;
}

export interface AuditHeadTable {
  id: number;
  sequence: number;
  hash: Uint8Array;
  checkpoint_sequence: number;
  /** Events below this sequence were sealed into archives and pruned. */
  pruned_before: number;
  /** Chain hash of the last pruned event: verification of the live store starts from it. */
  pruned_hash: Uint8Array;
  updated_at: number;
}

export interface AuditSinkCursorsTable {
  sink: string;
  /** Last event delivered. */
  sequence: number;
  /** Last checkpoint delivered (timed checkpoints can sit at an already delivered event). */
  checkpoint_sequence: number;
  delivered: number;
  last_error: string | null;
  last_error_at: number | null;
  last_success_at: number | null;
}

export interface AuditArchivesTable {
  id: string;
  first_sequence: number;
  last_sequence: number;
  file: string;
  sha256: string;
  created_at: number;
}

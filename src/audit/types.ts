// The audit interface every domain writes through. The audit domain makes it tamper-evident
// (hash chain, signed checkpoints); callers only ever see `append`, which resolves once the event is committed.

/** HL7 v3 PurposeOfUse codes Ward accepts as reason codes. */
export const purposeOfUseCodes = [
  'TREAT',
  'ETREAT',
  'BTG',
  'HOPERAT',
  'HSYSADMIN',
  'PATSFTY',
  'HOUTCOMS',
  'HRESCH',
  'HMARKT',
  'HPAYMT',
  'HLEGAL',
  'HCOMPL',
  'HQUALIMP',
  'SYSDEV',
  'HACCRED',
] as const;
export type PurposeOfUse = (typeof purposeOfUseCodes)[number];

export type AuditOutcome = 'success' | 'failure' | 'denied';
export type ActorKind = 'user' | 'service' | 'vendor' | 'system' | 'anonymous';

export interface AuditActor {
  id?: string | undefined;
  kind: ActorKind;
  name?: string | undefined;
  address?: string | undefined;
  device?: string | undefined;
}

export interface AuditTarget {
  /** The kind of thing acted on: user, group, role, target, account, secret, grant, policy, … */
  type: string;
  id?: string | undefined;
  /** Human-readable: a username, a target name (e.g. ehr-db-01). */
  name?: string | undefined;
  /** Target system and account, for gateway and vault events. */
  system?: string | undefined;
  account?: string | undefined;
}

/** Scalar-only details: no nested blobs, so ePHI and secrets have nowhere to hide. */
export type AuditDetailValue = string | number | boolean | null | string[];
export type AuditDetails = Record<string, AuditDetailValue>;

export interface AuditEventInput {
  /** Stable dotted code, e.g. `auth.login`, `identity.user.created`. */
  action: string;
  outcome: AuditOutcome;
  actor: AuditActor;
  target?: AuditTarget | undefined;
  reasonCode?: PurposeOfUse | undefined;
  ticket?: string | undefined;
  justification?: string | undefined;
  sessionId?: string | undefined;
  policyIds?: string[] | undefined;
  details?: AuditDetails | undefined;
}

export interface AuditRecord extends AuditEventInput {
  id: string;
  sequence: number;
  time: number;
  nodeId: string;
}

export interface AuditLog {
  /** Resolves after the event is durably committed; rejects with AUDIT_UNAVAILABLE if it cannot be. */
  append(event: AuditEventInput): Promise<AuditRecord>;
}

/**
 * Where events go when the store cannot be written (break-glass's gateway-local spool plugs in here).
 * `accept` returns a provisional record when it took custody of the event durably, or null to let
 * the append fail closed. Spooled events are later replayed through `append` by the spool's owner.
 */
export interface AuditSpool {
  accept(event: AuditEventInput, cause: unknown): Promise<AuditRecord | null>;
}

/** A statement signed at a chain position: anyone holding the public key can check the chain up to it. */
export interface CheckpointStatement {
  version: 1;
  sequence: number;
  /** Hex SHA-256 chain hash of the event at `sequence`. */
  hash: string;
  time: number;
  nodeId: string;
  /** Sequence of the previous checkpoint (0 for the first), so a deleted checkpoint is noticed. */
  previousSequence: number;
  /** The configured maximum events between checkpoints, so verification knows when one is missing. */
  interval: number;
}

export interface CheckpointSignature {
  algorithm: string;
  keyId: string;
  /** base64 */
  signature: string;
}

export interface AuditCheckpoint extends CheckpointStatement {
  signatures: CheckpointSignature[];
}

/** Signs checkpoints. Ed25519 by default; the vault adds ML-DSA-65 beside it without a format change. */
export interface CheckpointSigner {
  algorithm: string;
  keyId: string;
  sign(message: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

export interface CheckpointVerifier {
  algorithm: string;
  keyId: string;
  verify(message: Uint8Array, signature: Uint8Array): Promise<boolean> | boolean;
}

export type DamageKind =
  | 'edited'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'bad-checkpoint-signature'
  | 'missing-checkpoint';

export interface VerificationResult {
  intact: boolean;
  /** Events checked and the last sequence seen. */
  events: number;
  lastSequence: number;
  checkpoints: number;
  damage?: { kind: DamageKind; sequence: number; message: string } | undefined;
}

export interface AuditQuery {
  actorId?: string | undefined;
  actorName?: string | undefined;
  targetId?: string | undefined;
  targetName?: string | undefined;
  action?: string | undefined;
  /** A dotted prefix, e.g. `access.` */
  actionPrefix?: string | undefined;
  outcome?: AuditOutcome | undefined;
  reasonCode?: string | undefined;
  sessionId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  /** Only events after this sequence (tail -f, cursors). */
  afterSequence?: number | undefined;
  limit?: number | undefined;
  order?: 'asc' | 'desc' | undefined;
}

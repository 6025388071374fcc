// The hash chain: each event's JCS (RFC 8785) bytes hashed with the previous event's hash, and checkpoint statements.
// Canonical bytes are what is stored and hashed, so verification never depends on how a driver re-serialises JSON.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditRecord, CheckpointStatement } from './types.js';

export const GENESIS_HASH = Buffer.alloc(32);

/** Undefined fields are left out (canonicalize skips them), so the canonical form only holds what was said. */
export function canonicalRecord(record: AuditRecord): string {
  const text = canonicalize(record);
  if (text === undefined) throw new Error('audit record cannot be canonicalised');
  return text;
}

export function canonicalStatement(statement: CheckpointStatement): string {
  return canonicalize(statement)!;
}

export function chainHash(previous: Uint8Array, canonical: string): Buffer {
  return createHash('sha256').update(previous).update(canonical, 'utf8').digest();
}

// Retention: events older than the retention period (six years by default, 45 CFR 164.316(b)(2)) are sealed into
// gzip archives signed like checkpoints, the archive is read back and verified, and only then pruned from the store.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import canonicalize from 'canonicalize';
import type { Clock } from '../platform/clock.js';
import { WardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { AuditStore, ChainRow, StoredCheckpoint } from './store.js';
import { signCanonical } from './service.js';
import type { AuditLog, CheckpointSignature, CheckpointSigner, CheckpointVerifier, VerificationResult } from './types.js';
import { readArchiveSeal, verifyChainSource } from './verify.js';

export const DEFAULT_RETENTION_DAYS = 6 * 365 + 2;
const FORMAT = 'ward-audit-archive';

export interface ArchiveSeal {
  format: typeof FORMAT;
  version: 1;
  firstSequence: number;
  lastSequence: number;
  previousHash: string;
  lastHash: string;
  events: number;
  createdAt: number;
  /** SHA-256 (hex) of every line before the seal line. */
  contentSha256: string;
}

interface ArchiveLine {
  e?: [sequence: number, body: string, previousHash: string, hash: string];
  c?: { sequence: number; statement: string; signatures: CheckpointSignature[] };
  seal?: { statement: string; signatures: CheckpointSignature[] };
}

export interface ArchiverDeps {
  store: AuditStore;
  signers: CheckpointSigner[];
  verifiers: CheckpointVerifier[];
  clock: Clock;
  directory: string;
  audit: AuditLog;
  retentionDays?: number;
  /** Most events per archive file. */
  segmentEvents?: number;
}

/** Builds the archive bytes for a run of chain rows and the checkpoints inside it. */
export async function buildArchive(rows: ChainRow[], checkpoints: StoredCheckpoint[], signers: CheckpointSigner[], createdAt: number): Promise<{ bytes: Buffer; seal: ArchiveSeal }> {
  const lines: string[] = [];
  for (const row of rows) lines.push(`${JSON.stringify({ e: [row.sequence, row.body, row.prev_hash!.toString('hex'), row.hash.toString('hex')] })}\n`);
  for (const c of checkpoints) lines.push(`${JSON.stringify({ c: { sequence: c.sequence, statement: c.statement, signatures: c.signatures } })}\n`);
  const content = lines.join('');
  const seal: ArchiveSeal = {
    format: FORMAT,
    version: 1,
    firstSequence: rows[0]!.sequence,
    lastSequence: rows[rows.length - 1]!.sequence,
    previousHash: rows[0]!.prev_hash!.toString('hex'),
    lastHash: rows[rows.length - 1]!.hash.toString('hex'),
    events: rows.length,
    createdAt,
    contentSha256: createHash('sha256').update(content).digest('hex'),
  };
  const statement = canonicalize(seal)!;
  const signatures = await signCanonical(statement, signers);
  const bytes = gzipSync(content + `${JSON.stringify({ seal: { statement, signatures } })}\n`, { level: 6 });
  return { bytes, seal };
}

/** Verifies an archive on its own: the seal's signature and content hash, then the chain and checkpoints inside. */
export async function verifyArchive(bytes: Buffer, verifiers: CheckpointVerifier[]): Promise<VerificationResult & { seal?: ArchiveSeal }> {
  let text: string;
  try {
    text = gunzipSync(bytes).toString('utf8');
  } catch {
    return { intact: false, events: 0, lastSequence: 0, checkpoints: 0, damage: { kind: 'truncated', sequence: 0, message: 'the archive is not a complete gzip stream' } };
  }
  const sealed = await readArchiveSeal(text, verifiers);
  if (!sealed) return { intact: false, events: 0, lastSequence: 0, checkpoints: 0, damage: { kind: 'truncated', sequence: 0, message: 'the archive has no seal' } };
  const seal = sealed.seal as ArchiveSeal;
  const content = text.slice(0, sealed.contentEnd);
  if (!sealed.signed) {
    return { intact: false, events: 0, lastSequence: seal.lastSequence, checkpoints: 0, damage: { kind: 'bad-checkpoint-signature', sequence: seal.lastSequence, message: 'the archive seal has no valid signature from a known key' }, seal };
  }
  const rows: ChainRow[] = [];
  const checkpoints: StoredCheckpoint[] = [];
  for (const line of content.split('\n')) {
    if (!line) continue;
    const parsed = JSON.parse(line) as ArchiveLine;
    if (parsed.e) rows.push({ sequence: parsed.e[0], body: parsed.e[1], prev_hash: Buffer.from(parsed.e[2], 'hex'), hash: Buffer.from(parsed.e[3], 'hex') });
    if (parsed.c) checkpoints.push(parsed.c);
  }
  const result = await verifyChainSource(
    {
      start: { sequence: seal.firstSequence, previousHash: Buffer.from(seal.previousHash, 'hex') },
      claimedLast: seal.lastSequence,
      pages: (async function* () {
        yield rows;
      })(),
      checkpoints,
    },
    { verifiers },
  );
  if (result.intact && createHash('sha256').update(content).digest('hex') !== seal.contentSha256) {
    return { ...result, intact: false, damage: { kind: 'edited', sequence: seal.firstSequence, message: 'the archive content differs from its sealed hash' }, seal };
  }
  if (result.intact && rows[rows.length - 1]?.hash.toString('hex') !== seal.lastHash) {
    return { ...result, intact: false, damage: { kind: 'truncated', sequence: result.lastSequence + 1, message: 'the archive ends before its sealed last event' }, seal };
  }
  return { ...result, seal };
}

export function createAuditArchiver(deps: ArchiverDeps) {
  const retentionMs = (deps.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400_000;
  const segment = deps.segmentEvents ?? 100_000;

  /** Seals and prunes every event older than the retention period; returns the archive files written. */
  async function sealExpired(): Promise<Array<{ file: string; seal: ArchiveSeal }>> {
    const cutoff = deps.clock.now() - retentionMs;
    const written: Array<{ file: string; seal: ArchiveSeal }> = [];
    mkdirSync(deps.directory, { recursive: true, mode: 0o700 });
    while (true) {
      const head = await deps.store.readHead();
      const rows = (await deps.store.chainPage(head.prunedBefore - 1, segment)).filter((r) => (JSON.parse(r.body) as { time: number }).time < cutoff);
      // Only a contiguous run from the oldest event: the chain must stay unbroken in the store.
      let count = 0;
      while (count < rows.length && rows[count]!.sequence === head.prunedBefore + count) count += 1;
      if (count === 0) return written;
      const run = rows.slice(0, count);
      const first = run[0]!.sequence;
      const last = run[run.length - 1]!.sequence;
      const checkpoints = await deps.store.checkpoints(first, last);
      const { bytes, seal } = await buildArchive(run, checkpoints, deps.signers, deps.clock.now());
      const name = `audit-${String(first).padStart(12, '0')}-${String(last).padStart(12, '0')}.jsonl.gz`;
      const file = join(deps.directory, name);
      writeFileSync(`${file}.tmp`, bytes, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      // Read back what is on disk: only a verified archive lets the store forget.
      const check = await verifyArchive(readFileSync(file), deps.verifiers);
      if (!check.intact || check.seal?.lastSequence !== last) {
        throw new WardError('AUDIT_UNAVAILABLE', `archive ${name} failed verification (${check.damage?.message ?? 'range differs'}); nothing was pruned`);
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await deps.store.transaction(async (trx) => {
        const locked = await deps.store.lockHead(trx);
        if (locked.prunedBefore !== first) throw new WardError('CONFLICT', 'another node pruned the audit trail concurrently');
        await trx.deleteFrom('audit_events').where('sequence', '>=', first).where('sequence', '<=', last).execute();
        await trx.deleteFrom('audit_checkpoints').where('sequence', '<=', last).execute();
        await trx.updateTable('audit_head').set({ pruned_before: last + 1, pruned_hash: run[run.length - 1]!.hash }).where('id', '=', 1).execute();
        await trx.insertInto('audit_archives').values({ id: newId(), first_sequence: first, last_sequence: last, file, sha256, created_at: deps.clock.now() }).execute();
      });
      await deps.audit.append({
        action: 'audit.archive.sealed',
        outcome: 'success',
        actor: { kind: 'system', name: 'audit-retention' },
        target: { type: 'audit-archive', name },
        details: { firstSequence: first, lastSequence: last, events: run.length, sha256 },
      });
      written.push({ file, seal });
    }
  }

  /** Runs sealExpired now and then every `intervalMs` (daily by default); failures are logged and retried next time. */
  function schedule(intervalMs = 86_400_000, onError: (error: unknown) => void = () => {}): () => void {
    let running = false;
    const run = () => {
      if (running) return;
      running = true;
      sealExpired()
        .catch(onError)
        .finally(() => (running = false));
    };
    const timer = setInterval(run, intervalMs);
    timer.unref();
    setImmediate(run);
    return () => clearInterval(timer);
  }

  return { sealExpired, schedule, retentionMs };
}

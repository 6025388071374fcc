// Verification of the chain and its checkpoints, pinpointing the first damage: edited, deleted, inserted,
// reordered, truncated rows, and bad or missing checkpoint signatures. Works on the live store and on archives.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { canonicalStatement, chainHash } from './chain.js';
import type { AuditStore, ChainRow, StoredCheckpoint } from './store.js';
import type { AuditCheckpoint, CheckpointSignature, CheckpointStatement, CheckpointVerifier, DamageKind, VerificationResult } from './types.js';

export interface ChainSource {
  /** Sequence of the first event expected and the chain hash before it. */
  start: { sequence: number; previousHash: Buffer };
  /** The sequence the chain claims to have reached (the head row, an archive's header). */
  claimedLast: number;
  pages: AsyncIterable<ChainRow[]>;
  checkpoints: StoredCheckpoint[];
  /** For rows read without `prev_hash`: fetches it when a row does not link (classification only). */
  previousHashOf?: (sequence: number) => Promise<Buffer | null>;
}

export interface VerifyOptions {
  verifiers: CheckpointVerifier[];
  /** Checkpoint interval assumed when the store has no checkpoint yet to say it. */
  defaultInterval?: number;
  /**
   * Checkpoints kept outside the store (a SIEM's copy from the export sinks). They are checked like stored ones and
   * fill in any the store lost, so truncating the tail and deleting its checkpoints still shows.
   */
  externalCheckpoints?: AuditCheckpoint[];
}

/** Reads checkpoints exported by the sinks: JSON lines of checkpoints, syslog JSON payloads or webhook items. */
export function parseExternalCheckpoints(text: string): AuditCheckpoint[] {
  const found: AuditCheckpoint[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    const value = JSON.parse(trimmed) as Record<string, unknown>;
    const candidate = (value.checkpoint ?? value) as Record<string, unknown>;
    if (value.type !== undefined && value.type !== 'audit.checkpoint') continue;
    if (typeof candidate.sequence !== 'number' || typeof candidate.hash !== 'string' || !Array.isArray(candidate.signatures)) continue;
    const { type: _type, ...checkpoint } = candidate;
    found.push(checkpoint as unknown as AuditCheckpoint);
  }
  return found;
}

function mergeCheckpoints(stored: StoredCheckpoint[], external: AuditCheckpoint[] | undefined): StoredCheckpoint[] {
  if (!external?.length) return stored;
  const bySequence = new Map(stored.map((c) => [c.sequence, c]));
  for (const checkpoint of external) {
    const { signatures, ...statement } = checkpoint;
    // An external copy wins where they differ: the store is what an attacker could have rewritten.
    bySequence.set(checkpoint.sequence, { sequence: checkpoint.sequence, statement: canonicalStatement(statement), signatures });
  }
  return [...bySequence.values()].sort((a, b) => a.sequence - b.sequence);
}

type Damage = { kind: DamageKind; sequence: number; message: string };

function bodySequence(body: string): number | null {
  try {
    const value = (JSON.parse(body) as { sequence?: unknown }).sequence;
    return typeof value === 'number' ? value : null;
  } catch {
    return null;
  }
}

async function checkSignatures(statementText: string, stored: StoredCheckpoint, verifiers: CheckpointVerifier[]): Promise<boolean> {
  const message = Buffer.from(statementText, 'utf8');
  let verified = 0;
  for (const signature of stored.signatures) {
    const verifier = verifiers.find((v) => v.algorithm === signature.algorithm && v.keyId === signature.keyId);
    // Signatures from algorithms this verifier does not know (a newer PQ signer) are skipped, not trusted.
    if (!verifier) continue;
    if (!(await verifier.verify(message, Buffer.from(signature.signature, 'base64')))) return false;
    verified += 1;
  }
  return verified > 0;
}

/** Checks the checkpoints on their own: signatures, statement/column agreement, and the checkpoint chain. */
async function checkCheckpoints(
  source: ChainSource,
  options: VerifyOptions,
): Promise<{ damage: Damage | null; statements: Map<number, CheckpointStatement> }> {
  const statements = new Map<number, CheckpointStatement>();
  let previous: number | null = null;
  for (const stored of mergeCheckpoints(source.checkpoints, options.externalCheckpoints)) {
    let statement: CheckpointStatement;
    try {
      statement = JSON.parse(stored.statement) as CheckpointStatement;
    } catch {
      return { damage: { kind: 'bad-checkpoint-signature', sequence: stored.sequence, message: 'checkpoint statement is not JSON' }, statements };
    }
    if (statement.sequence !== stored.sequence || !(await checkSignatures(stored.statement, stored, options.verifiers))) {
      return {
        damage: { kind: 'bad-checkpoint-signature', sequence: stored.sequence, message: `checkpoint at ${stored.sequence} has no valid signature from a known key` },
        statements,
      };
    }
    const expectedPrevious = previous ?? (statement.previousSequence < source.start.sequence ? statement.previousSequence : null);
    if (expectedPrevious !== null && statement.previousSequence !== expectedPrevious) {
      const missingAt = statement.previousSequence;
      return {
        damage: { kind: 'missing-checkpoint', sequence: missingAt, message: `the checkpoint at ${missingAt} named by the one at ${stored.sequence} is missing` },
        statements,
      };
    }
    if (previous === null && statement.previousSequence >= source.start.sequence) {
      return {
        damage: { kind: 'missing-checkpoint', sequence: statement.previousSequence, message: `the checkpoint at ${statement.previousSequence} is missing` },
        statements,
      };
    }
    statements.set(stored.sequence, statement);
    previous = stored.sequence;
  }
  return { damage: null, statements };
}

export async function verifyChainSource(source: ChainSource, options: VerifyOptions): Promise<VerificationResult> {
  const checked = await checkCheckpoints(source, options);
  let expected = source.start.sequence;
  let previousHash = source.start.previousHash;
  let events = 0;
  let lastCheckpoint = source.start.sequence - 1;
  let chainDamage: Damage | null = null;
  let pending: ChainRow[] = [];
  const iterator = source.pages[Symbol.asyncIterator]();
  let exhausted = false;

  async function more(): Promise<boolean> {
    if (exhausted) return false;
    const next = await iterator.next();
    if (next.done) {
      exhausted = true;
      return false;
    }
    pending = pending.concat(next.value);
    return true;
  }

  /** Reordered when the event that belongs at `at` turns up a little later; deleted otherwise. */
  async function locateMissing(at: number, from: number): Promise<DamageKind> {
    if (pending.length - from < 2000) await more();
    for (let i = from + 1; i < Math.min(pending.length, from + 4000); i += 1) {
      if (bodySequence(pending[i]!.body) === at) return 'reordered';
    }
    return 'deleted';
  }

  async function classify(row: ChainRow, index: number, bodySeq: number | null): Promise<Damage> {
    const at = row.sequence;
    if (bodySeq === null) return { kind: 'edited', sequence: at, message: `event ${at} is not a valid record` };
    if (bodySeq > at) {
      const kind = await locateMissing(at, index);
      return { kind, sequence: at, message: kind === 'reordered' ? `event ${at} was moved` : `event ${at} was deleted` };
    }
    if (bodySeq < at) return { kind: 'inserted', sequence: bodySeq, message: `a foreign event was inserted at ${bodySeq}` };
    return { kind: 'edited', sequence: at, message: `event ${at} was changed` };
  }

  walk: while (true) {
    if (pending.length === 0 && !(await more())) break;
    const rows = pending;
    let index = 0;
    for (; index < rows.length; index += 1) {
      const row = rows[index]!;
      if (row.sequence > expected) {
        const kind = await locateMissing(expected, index - 1);
        chainDamage = { kind, sequence: expected, message: kind === 'reordered' ? `event ${expected} was moved` : `event ${expected} was deleted` };
        break walk;
      }
      // JCS sorts keys, and "time" always follows "sequence", so the field always ends with a comma.
      const numbered = row.body.includes(`"sequence":${row.sequence},`);
      // Fast path: recompute from the previous row's hash; one hash per row, and prev_hash is not even read.
      if (numbered && chainHash(previousHash, row.body).equals(row.hash)) {
        const statement = checked.statements.get(row.sequence);
        if (statement) {
          if (statement.hash !== row.hash.toString('hex')) {
            chainDamage = {
              kind: 'edited',
              sequence: lastCheckpoint + 1,
              message: `the chain between ${lastCheckpoint + 1} and ${row.sequence} was rewritten (checkpoint hash differs)`,
            };
            break walk;
          }
          lastCheckpoint = row.sequence;
        }
        previousHash = row.hash;
        expected += 1;
        events += 1;
        continue;
      }
      const storedPrevious = row.prev_hash ?? (await source.previousHashOf?.(row.sequence)) ?? previousHash;
      const selfOk = chainHash(storedPrevious, row.body).equals(row.hash);
      const linkOk = storedPrevious.equals(previousHash);
      if (!selfOk) {
        // The row's own bytes no longer match its hash: its content (or hash) was changed in place.
        chainDamage = { kind: 'edited', sequence: row.sequence, message: `event ${row.sequence} was changed` };
        break walk;
      }
      if (!numbered) {
        // A self-consistent row in the wrong slot: rows were removed, added or moved and renumbered around it.
        chainDamage = await classify(row, index, bodySequence(row.body));
        break walk;
      }
      if (!linkOk) {
        const bodySeq = bodySequence(row.body);
        chainDamage =
          bodySeq === row.sequence
            ? { kind: 'edited', sequence: row.sequence - 1, message: `event ${row.sequence - 1} was changed and re-hashed` }
            : await classify(row, index, bodySeq);
        break walk;
      }
      // Not reached (a linked, self-consistent, numbered row takes the fast path); kept so no row passes unexamined.
      chainDamage = { kind: 'edited', sequence: row.sequence, message: `event ${row.sequence} does not chain` };
      break walk;
    }
    pending = pending.slice(index);
  }
  const lastSequence = expected - 1;
  const damages: Damage[] = [];
  if (chainDamage) damages.push(chainDamage);
  if (checked.damage) damages.push(checked.damage);
  if (!chainDamage) {
    const lastStatement = [...checked.statements.values()].pop();
    const claimed = Math.max(source.claimedLast, lastStatement?.sequence ?? 0);
    if (source.claimedLast < lastSequence) {
      damages.push({ kind: 'inserted', sequence: source.claimedLast + 1, message: `events after ${source.claimedLast} were added behind the trail's back` });
    }
    if (claimed > lastSequence) {
      damages.push({ kind: 'truncated', sequence: lastSequence + 1, message: `events from ${lastSequence + 1} to ${claimed} are gone` });
    }
    const interval = lastStatement?.interval ?? options.defaultInterval ?? 1000;
    const covered = lastStatement?.sequence ?? source.start.sequence - 1;
    if (lastSequence - covered > interval) {
      damages.push({ kind: 'missing-checkpoint', sequence: covered + interval, message: `no checkpoint at ${covered + interval}` });
    }
  }
  damages.sort((a, b) => a.sequence - b.sequence);
  const damage = damages[0];
  return { intact: !damage, events, lastSequence, checkpoints: checked.statements.size, damage };
}

async function* storePages(store: AuditStore, after: number, pageSize: number): AsyncIterable<ChainRow[]> {
  let cursor = after;
  while (true) {
    const page = await store.chainPage(cursor, pageSize, { withPreviousHash: false });
    if (page.length === 0) return;
    yield page;
    cursor = page[page.length - 1]!.sequence;
  }
}

/** The signed seal of an archive file and whether a known key signed it (null: no seal line). */
export async function readArchiveSeal(
  text: string,
  verifiers: CheckpointVerifier[],
): Promise<{ statement: string; seal: { firstSequence: number; lastSequence: number; previousHash: string; lastHash: string; contentSha256: string; events: number }; signed: boolean; contentEnd: number } | null> {
  const at = text.lastIndexOf('{"seal":');
  if (at < 0) return null;
  const line = JSON.parse(text.slice(at)) as { seal: { statement: string; signatures: CheckpointSignature[] } };
  const message = Buffer.from(line.seal.statement);
  let verified = 0;
  let bad = false;
  for (const signature of line.seal.signatures) {
    const verifier = verifiers.find((v) => v.algorithm === signature.algorithm && v.keyId === signature.keyId);
    if (!verifier) continue;
    if (await verifier.verify(message, Buffer.from(signature.signature, 'base64'))) verified += 1;
    else bad = true;
  }
  return { statement: line.seal.statement, seal: JSON.parse(line.seal.statement), signed: verified > 0 && !bad, contentEnd: at };
}

/**
 * Events before `prunedBefore` may only be gone into sealed archives: the archive rows must cover 1..prunedBefore-1
 * without gaps, and where the last archive file is at hand its signed seal must end exactly where the store resumes.
 */
async function checkPrunedPrefix(store: AuditStore, prunedBefore: number, prunedHash: Buffer, verifiers: CheckpointVerifier[]): Promise<Damage | null> {
  if (prunedBefore <= 1) return null;
  const archives = await store.db.selectFrom('audit_archives').select(['first_sequence', 'last_sequence', 'file']).orderBy('first_sequence').execute();
  let next = 1;
  for (const archive of archives) {
    if (Number(archive.first_sequence) !== next) break;
    next = Number(archive.last_sequence) + 1;
  }
  if (next !== prunedBefore) {
    return { kind: 'deleted', sequence: next, message: `events from ${next} to ${prunedBefore - 1} were removed without a sealed archive` };
  }
  const last = archives.find((a) => Number(a.last_sequence) === prunedBefore - 1)!;
  if (existsSync(last.file)) {
    const sealed = await readArchiveSeal(gunzipSync(readFileSync(last.file)).toString('utf8'), verifiers);
    if (!sealed?.signed || sealed.seal.lastSequence !== prunedBefore - 1 || sealed.seal.lastHash !== prunedHash.toString('hex')) {
      return { kind: 'deleted', sequence: Number(last.first_sequence), message: `the archive ${last.file} does not prove what was pruned before ${prunedBefore}` };
    }
  }
  return null;
}

/** Verifies the live store from the oldest kept event (after archives pruned the rest) to its head. */
export async function verifyStore(store: AuditStore, options: VerifyOptions & { pageSize?: number }): Promise<VerificationResult> {
  const head = await store.readHead();
  const prefix = await checkPrunedPrefix(store, head.prunedBefore, head.prunedHash, options.verifiers);
  const result = await verifyChainSource(
    {
      start: { sequence: head.prunedBefore, previousHash: head.prunedHash },
      claimedLast: head.sequence,
      pages: storePages(store, head.prunedBefore - 1, options.pageSize ?? 10_000),
      checkpoints: await store.checkpoints(head.prunedBefore),
      previousHashOf: (sequence) => store.previousHashOf(sequence),
    },
    options,
  );
  if (prefix) return { ...result, intact: false, damage: prefix };
  return result;
}

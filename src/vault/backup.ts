// Encrypted backups of the whole store for a recipient key, with hybrid X25519 + ML-KEM-768 key agreement so a
// copy taken today cannot be opened by a future quantum attacker ("harvest now, decrypt later").
// Format: "WARDBKP1" | u32 header length | header JSON | chunks (u32 length | AES-256-GCM ciphertext+tag).
// Each chunk's nonce is prefix || index and its additional data binds the header hash, the index and a final
// flag, so reordering, truncation and tampering all fail authentication. Restore proves all of it before writing.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { DialectName } from '../platform/database/index.js';
import { WardError } from '../platform/errors.js';
import { Secret } from '../platform/secret.js';

const MAGIC = Buffer.from('WARDBKP1');
const PUBLIC_PREFIX = 'ward-backup-public-v1:';
const SECRET_PREFIX = 'ward-backup-secret-v1:';
const X_LEN = 32;
const KEM_SEED_LEN = 64;
const DEFAULT_CHUNK = 64 * 1024;
/** Bookkeeping of the migrator itself; the target store has its own. */
const SKIPPED_TABLES = new Set(['ward_migrations', 'ward_migrations_lock']);

export const BACKUP_ALGORITHM = 'X25519 + ML-KEM-768 → HKDF-SHA-256 → AES-256-GCM';

export interface BackupHeader {
  format: 'ward-backup';
  version: 1;
  createdAt: number;
  keyId: string;
  kem: 'X25519+ML-KEM-768';
  kdf: 'HKDF-SHA-256';
  cipher: 'AES-256-GCM';
  ephemeralPublicKey: string;
  kemCiphertext: string;
  salt: string;
  noncePrefix: string;
  chunkSize: number;
  sourceDialect: DialectName;
  migrations: string[];
}

function invalid(message: string): WardError {
  return new WardError('BACKUP_INVALID', message);
}

function keyIdOf(publicBytes: Uint8Array): string {
  return `wbk:${createHash('sha256').update(publicBytes).digest('hex').slice(0, 32)}`;
}

/** A recipient key pair: keep the secret half offline (it opens every backup made for the public half). */
export function generateBackupKeyPair(): { publicKey: string; secretKey: Secret<string>; keyId: string } {
  const xSecret = x25519.utils.randomSecretKey();
  const kemSeed = randomBytes(KEM_SEED_LEN);
  const publicBytes = Buffer.concat([x25519.getPublicKey(xSecret), ml_kem768.keygen(kemSeed).publicKey]);
  return {
    publicKey: PUBLIC_PREFIX + publicBytes.toString('base64url'),
    secretKey: new Secret(SECRET_PREFIX + Buffer.concat([xSecret, kemSeed]).toString('base64url')),
    keyId: keyIdOf(publicBytes),
  };
}

function parsePublicKey(encoded: string): { x: Uint8Array; kem: Uint8Array; bytes: Buffer } {
  const trimmed = encoded.trim();
  if (!trimmed.startsWith(PUBLIC_PREFIX)) throw new WardError('VALIDATION_FAILED', 'Not a Ward backup public key (expected ward-backup-public-v1:…).');
  const bytes = Buffer.from(trimmed.slice(PUBLIC_PREFIX.length), 'base64url');
  if (bytes.length !== X_LEN + 1184) throw new WardError('VALIDATION_FAILED', 'The backup public key has the wrong length.');
  return { x: bytes.subarray(0, X_LEN), kem: bytes.subarray(X_LEN), bytes };
}

/** Throws VALIDATION_FAILED unless `encoded` is a Ward backup public key. */
export function validateBackupPublicKey(encoded: string): string {
  return keyIdOf(parsePublicKey(encoded).bytes);
}

function parseSecretKey(secret: Secret<string>) {
  const trimmed = secret.reveal().trim();
  if (!trimmed.startsWith(SECRET_PREFIX)) throw new WardError('VALIDATION_FAILED', 'Not a Ward backup secret key (expected ward-backup-secret-v1:…).');
  const bytes = Buffer.from(trimmed.slice(SECRET_PREFIX.length), 'base64url');
  if (bytes.length !== X_LEN + KEM_SEED_LEN) throw new WardError('VALIDATION_FAILED', 'The backup secret key has the wrong length.');
  const xSecret = bytes.subarray(0, X_LEN);
  const kem = ml_kem768.keygen(bytes.subarray(X_LEN));
  const publicBytes = Buffer.concat([x25519.getPublicKey(xSecret), kem.publicKey]);
  return { xSecret, kemSecret: kem.secretKey, publicBytes, keyId: keyIdOf(publicBytes) };
}

function deriveKey(sharedX: Uint8Array, sharedKem: Uint8Array, salt: Uint8Array, context: Uint8Array[]): Buffer {
  const info = Buffer.concat([Buffer.from('ward-backup-v1'), ...context.map((c) => Buffer.from(c))]);
  return Buffer.from(hkdf(sha256, Buffer.concat([sharedX, sharedKem]), salt, info, 32));
}

function chunkNonce(prefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0, 0, 8);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

function chunkAad(headerHash: Buffer, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = final ? 1 : 0;
  return Buffer.concat([headerHash, tail]);
}

// ---- store dump and load ----

type Row = Record<string, unknown>;

function encodeValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint') return Number(value);
  return value;
}
function decodeValue(value: unknown): unknown {
  if (value && typeof value === 'object' && '$b' in value) return Buffer.from((value as { $b: string }).$b, 'base64');
  return value;
}

async function listTables(db: Kysely<unknown>, dialect: DialectName): Promise<string[]> {
  const tables = await db.introspection.getTables();
  let schema: string | undefined;
  if (dialect === 'postgres') schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema;
  return tables
    .filter((t) => !t.isView && !SKIPPED_TABLES.has(t.name) && (schema === undefined || t.schema === undefined || t.schema === schema))
    .map((t) => t.name)
    .sort();
}


/** Rows of a table in pages, without loading it whole: rowid keyset on SQLite, a cursor on PostgreSQL. */
async function* tableRows(trx: Kysely<unknown>, dialect: DialectName, table: string, pageSize: number): AsyncGenerator<Row[]> {
  if (dialect === 'sqlite') {
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const page = await sql<Row & { ward_backup_rowid: number }>`select rowid as ward_backup_rowid, * from ${sql.table(table)} where rowid > ${after} order by rowid limit ${pageSize}`.execute(trx);
      if (page.rows.length === 0) return;
      after = page.rows[page.rows.length - 1]!.ward_backup_rowid;
      yield page.rows.map(({ ward_backup_rowid: _rowid, ...row }) => row);
    }
  }
  await sql`declare ward_backup_cursor no scroll cursor for select * from ${sql.table(table)}`.execute(trx);
  try {
    for (;;) {
      const page = await sql<Row>`fetch forward ${sql.raw(String(pageSize))} from ward_backup_cursor`.execute(trx);
      if (page.rows.length === 0) return;
      yield page.rows;
    }
  } finally {
    await sql`close ward_backup_cursor`.execute(trx);
  }
}

async function foreignKeys(db: Kysely<unknown>, dialect: DialectName, tables: string[]): Promise<Array<{ child: string; parent: string }>> {
  if (dialect === 'sqlite') {
    const edges: Array<{ child: string; parent: string }> = [];
    for (const table of tables) {
      const rows = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${table})`.execute(db);
      for (const r of rows.rows) edges.push({ child: table, parent: r.table });
    }
    return edges;
  }
  const rows = await sql<{ child: string; parent: string }>`
    select distinct cl.relname as child, pl.relname as parent
    from pg_constraint c
    join pg_class cl on cl.oid = c.conrelid
    join pg_class pl on pl.oid = c.confrelid
    join pg_namespace n on n.oid = cl.relnamespace
    where c.contype = 'f' and n.nspname = current_schema()`.execute(db);
  return rows.rows;
}

/** Parents before children, so inserts satisfy foreign keys (and deletes run in reverse). */
function orderByDependencies(tables: string[], edges: Array<{ child: string; parent: string }>): string[] {
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: string) => {
    if (state.get(table) === 'done' || state.get(table) === 'visiting') return;
    state.set(table, 'visiting');
    for (const e of edges) if (e.child === table && e.parent !== table && tables.includes(e.parent)) visit(e.parent);
    state.set(table, 'done');
    ordered.push(table);
  };
  for (const t of tables) visit(t);
  return ordered;
}

async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from ward_migrations order by name`.execute(db);
    return rows.rows.map((r) => r.name);
  } catch {
    return [];
  }
}

// ---- create ----

export interface CreateBackupOptions {
  db: Kysely<unknown>;
  dialect: DialectName;
  recipientPublicKey: string;
  /** Receives the backup bytes in order (a file stream, a buffer collector). */
  write: (bytes: Buffer) => Promise<void> | void;
  now: () => number;
  chunkSize?: number;
  /** Rows read per query while dumping a table. */
  pageSize?: number;
}

export async function createBackup(options: CreateBackupOptions): Promise<{ keyId: string; tables: Record<string, number>; bytes: number }> {
  const recipient = parsePublicKey(options.recipientPublicKey);
  const ephemeral = x25519.utils.randomSecretKey();
  const ephemeralPublic = x25519.getPublicKey(ephemeral);
  const sharedX = x25519.getSharedSecret(ephemeral, recipient.x);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(recipient.kem);
  const salt = randomBytes(32);
  const key = deriveKey(sharedX, sharedSecret, salt, [ephemeralPublic, cipherText, recipient.bytes]);
  const noncePrefix = randomBytes(8);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const header: BackupHeader = {
    format: 'ward-backup',
    version: 1,
    createdAt: options.now(),
    keyId: keyIdOf(recipient.bytes),
    kem: 'X25519+ML-KEM-768',
    kdf: 'HKDF-SHA-256',
    cipher: 'AES-256-GCM',
    ephemeralPublicKey: Buffer.from(ephemeralPublic).toString('base64'),
    kemCiphertext: Buffer.from(cipherText).toString('base64'),
    salt: salt.toString('base64'),
    noncePrefix: noncePrefix.toString('base64'),
    chunkSize,
    sourceDialect: options.dialect,
    migrations: await appliedMigrations(options.db),
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(headerBytes.length);
  const preamble = Buffer.concat([MAGIC, length, headerBytes]);
  const headerHash = createHash('sha256').update(preamble).digest();
  let total = 0;
  const emit = async (bytes: Buffer) => {
    total += bytes.length;
    await options.write(bytes);
  };
  await emit(preamble);

  let index = 0;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  const flush = async (final: boolean) => {
    const plaintext = Buffer.concat(pending);
    pending = [];
    pendingLength = 0;
    const cipher = createCipheriv('aes-256-gcm', key, chunkNonce(noncePrefix, index));
    cipher.setAAD(chunkAad(headerHash, index, final));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(body.length);
    await emit(Buffer.concat([size, body]));
    index++;
  };
  const line = async (value: unknown) => {
    const bytes = Buffer.from(`${JSON.stringify(value)}\n`);
    pending.push(bytes);
    pendingLength += bytes.length;
    if (pendingLength >= chunkSize) await flush(false);
  };

  const counts: Record<string, number> = {};
  // One consistent snapshot of every table (SQLite transactions are serializable; PostgreSQL needs asking).
  let transaction = options.db.transaction();
  if (options.dialect === 'postgres') transaction = transaction.setIsolationLevel('repeatable read');
  await transaction.execute(async (trx) => {
    for (const table of await listTables(trx, options.dialect)) {
      let columns: string[] | undefined;
      let count = 0;
      for await (const rows of tableRows(trx, options.dialect, table, Math.max(1, Math.floor(options.pageSize ?? 2000)))) {
        if (!columns) {
          columns = Object.keys(rows[0]!);
          await line({ table, columns });
        }
        for (const row of rows) await line({ row: columns.map((c) => encodeValue(row[c])) });
        count += rows.length;
      }
      if (!columns) await line({ table, columns: [] });
      counts[table] = count;
    }
  });
  await line({ end: { tables: counts } });
  await flush(true);
  key.fill(0);
  return { keyId: header.keyId, tables: counts, bytes: total };
}

// ---- verify and restore ----

export function readBackupHeader(data: Buffer): { header: BackupHeader; offset: number; headerHash: Buffer } {
  if (data.length < 12 || !data.subarray(0, 8).equals(MAGIC)) throw invalid('This is not a Ward backup (bad magic).');
  const headerLength = data.readUInt32BE(8);
  if (headerLength > 1_000_000 || data.length < 12 + headerLength) throw invalid('The backup header is truncated.');
  let header: BackupHeader;
  try {
    header = JSON.parse(data.subarray(12, 12 + headerLength).toString('utf8')) as BackupHeader;
  } catch {
    throw invalid('The backup header is corrupt.');
  }
  if (header.format !== 'ward-backup' || header.version !== 1) throw invalid('Unsupported backup format or version.');
  return { header, offset: 12 + headerLength, headerHash: createHash('sha256').update(data.subarray(0, 12 + headerLength)).digest() };
}

interface DecodedBackup {
  header: BackupHeader;
  tables: Array<{ table: string; columns: string[]; rows: unknown[][] }>;
}

/** Decrypts and authenticates every chunk; throws BACKUP_INVALID on any tampering, truncation or wrong key. */
export function openBackup(data: Buffer, recipientSecretKey: Secret<string>): DecodedBackup {
  const { header, offset: start, headerHash } = readBackupHeader(data);
  const recipient = parseSecretKey(recipientSecretKey);
  if (recipient.keyId !== header.keyId) throw invalid(`This backup was made for key ${header.keyId}, not ${recipient.keyId}.`);
  let key: Buffer;
  try {
    const ephemeral = Buffer.from(header.ephemeralPublicKey, 'base64');
    const kemCiphertext = Buffer.from(header.kemCiphertext, 'base64');
    const sharedX = x25519.getSharedSecret(recipient.xSecret, ephemeral);
    const sharedKem = ml_kem768.decapsulate(kemCiphertext, recipient.kemSecret);
    key = deriveKey(sharedX, sharedKem, Buffer.from(header.salt, 'base64'), [ephemeral, kemCiphertext, recipient.publicBytes]);
  } catch {
    throw invalid('The backup key agreement data is corrupt.');
  }
  const prefix = Buffer.from(header.noncePrefix, 'base64');
  const parts: Buffer[] = [];
  let offset = start;
  let index = 0;
  let sawFinal = false;
  while (offset < data.length) {
    if (sawFinal) throw invalid('The backup has data after its final chunk.');
    if (offset + 4 > data.length) throw invalid('The backup is truncated (partial chunk length).');
    const size = data.readUInt32BE(offset);
    const body = data.subarray(offset + 4, offset + 4 + size);
    if (size < 16 || body.length !== size) throw invalid('The backup is truncated (partial chunk).');
    offset += 4 + size;
    const final = offset === data.length;
    const plaintext = tryOpenChunk(key, prefix, headerHash, index, final, body);
    if (!plaintext) throw invalid(`The backup failed authentication at chunk ${index}: it was altered, truncated or reordered.`);
    parts.push(plaintext);
    sawFinal = final;
    index++;
  }
  key.fill(0);
  if (!sawFinal) throw invalid('The backup is truncated (no final chunk).');
  const tables: DecodedBackup['tables'] = [];
  let end: { tables: Record<string, number> } | undefined;
  for (const text of Buffer.concat(parts).toString('utf8').split('\n')) {
    if (!text) continue;
    const record = JSON.parse(text) as { table?: string; columns?: string[]; row?: unknown[]; end?: { tables: Record<string, number> } };
    if (record.table) tables.push({ table: record.table, columns: record.columns ?? [], rows: [] });
    else if (record.row) tables.at(-1)?.rows.push(record.row.map(decodeValue));
    else if (record.end) end = record.end;
  }
  if (!end) throw invalid('The backup has no end record.');
  for (const t of tables) if (end.tables[t.table] !== t.rows.length) throw invalid(`The backup row count for ${t.table} does not match.`);
  return { header, tables };
}

function tryOpenChunk(key: Buffer, prefix: Buffer, headerHash: Buffer, index: number, final: boolean, body: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, chunkNonce(prefix, index));
    decipher.setAAD(chunkAad(headerHash, index, final));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export interface RestoreBackupOptions {
  db: Kysely<unknown>;
  dialect: DialectName;
  data: Buffer;
  recipientSecretKey: Secret<string>;
}

/** Verifies the whole backup, then replaces every table's rows in one transaction. */
export async function restoreBackup(options: RestoreBackupOptions): Promise<{ tables: Record<string, number>; createdAt: number }> {
  const backup = openBackup(options.data, options.recipientSecretKey);
  const present = await listTables(options.db, options.dialect);
  const missing = backup.tables.filter((t) => !present.includes(t.table)).map((t) => t.table);
  if (missing.length) {
    throw new WardError('CONFLICT', `This store lacks tables the backup holds (${missing.join(', ')}); start this Ward version's server once to migrate, or use the matching version.`);
  }
  const edges = await foreignKeys(options.db, options.dialect, present);
  const order = orderByDependencies(present, edges);
  const byName = new Map(backup.tables.map((t) => [t.table, t]));
  const counts: Record<string, number> = {};
  await options.db.transaction().execute(async (trx) => {
    for (const table of [...order].reverse()) await trx.deleteFrom(table as never).execute();
    for (const table of order) {
      const data = byName.get(table);
      counts[table] = data?.rows.length ?? 0;
      if (!data || data.rows.length === 0) continue;
      const batch = Math.max(1, Math.floor(500 / Math.max(1, data.columns.length)));
      for (let i = 0; i < data.rows.length; i += batch) {
        const values = data.rows.slice(i, i + batch).map((row) => Object.fromEntries(data.columns.map((c, j) => [c, row[j]])));
        await trx.insertInto(table as never).values(values as never).execute();
      }
    }
    if (options.dialect === 'postgres') {
      // Serial columns continue after the restored rows.
      const serials = await sql<{ table_name: string; column_name: string }>`
        select table_name, column_name from information_schema.columns
        where table_schema = current_schema() and column_default like 'nextval(%'`.execute(trx);
      for (const s of serials.rows) {
        if (!order.includes(s.table_name)) continue;
        await sql`select setval(pg_get_serial_sequence(${s.table_name}, ${s.column_name}), coalesce((select max(${sql.ref(s.column_name)}) from ${sql.table(s.table_name)}), 0) + 1, false)`.execute(trx);
      }
    }
  });
  return { tables: counts, createdAt: backup.header.createdAt };
}

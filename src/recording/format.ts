// The encrypted recording file: a header carrying the wrapped data key, then AES-256-GCM chunks.
// Each chunk's AAD binds the format, its index and whether it is the last, so reordering, splicing, truncation or
// relabelling a file as another format fail to decrypt.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { WardError } from '../platform/errors.js';

/** Format 1: the chunks' plaintext is asciicast v2. Format 2: a binary event log (event-log.ts, ADR 0008). */
export const MAGIC_V1 = Buffer.from('WARDREC1');
export const MAGIC_V2 = Buffer.from('WARDREC2');
export type FormatVersion = 1 | 2;
const MAGICS: Record<FormatVersion, Buffer> = { 1: MAGIC_V1, 2: MAGIC_V2 };
const MAGIC_BYTES = 8;
const TAG_BYTES = 16;
const FLAG_MORE = 0;
const FLAG_FINAL = 1;

export function encodeHeader(wrappedKey: Buffer, version: FormatVersion = 2): Buffer {
  const header = Buffer.alloc(MAGIC_BYTES + 2);
  MAGICS[version].copy(header, 0);
  header.writeUInt16BE(wrappedKey.length, MAGIC_BYTES);
  return Buffer.concat([header, wrappedKey]);
}

function nonceFor(index: number): Buffer {
  // A fresh key per recording, so the chunk index is a unique nonce.
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function aadFor(version: FormatVersion, index: number, flag: number): Buffer {
  const aad = Buffer.alloc(MAGIC_BYTES + 9);
  MAGICS[version].copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(index), MAGIC_BYTES);
  aad[MAGIC_BYTES + 8] = flag;
  return aad;
}

/**
 * One chunk on disk: [uint32 length of ciphertext+tag][flag][ciphertext][tag], returned as pieces for one
 * gathered write (the plaintext may arrive as several buffers; none is concatenated).
 */
export function encryptChunk(key: Buffer, index: number, plaintext: Buffer[], final: boolean, version: FormatVersion = 2): Buffer[] {
  const flag = final ? FLAG_FINAL : FLAG_MORE;
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(index));
  cipher.setAAD(aadFor(version, index, flag));
  const pieces: Buffer[] = [Buffer.alloc(5)];
  let length = TAG_BYTES;
  for (const part of plaintext) {
    const body = cipher.update(part);
    length += body.length;
    pieces.push(body);
  }
  cipher.final();
  pieces[0]!.writeUInt32BE(length, 0);
  pieces[0]![4] = flag;
  pieces.push(cipher.getAuthTag());
  return pieces;
}

/** Splits the header off a recording file. */
export function decodeHeader(file: Buffer): { version: FormatVersion; wrappedKey: Buffer; bodyOffset: number } {
  const magic = file.subarray(0, MAGIC_BYTES);
  const version = magic.equals(MAGIC_V2) ? 2 : magic.equals(MAGIC_V1) ? 1 : undefined;
  if (file.length < MAGIC_BYTES + 2 || !version) throw new WardError('DECRYPTION_FAILED', 'Not a Ward recording.');
  const length = file.readUInt16BE(MAGIC_BYTES);
  const start = MAGIC_BYTES + 2;
  if (file.length < start + length) throw new WardError('DECRYPTION_FAILED', 'The recording header is truncated.');
  return { version, wrappedKey: file.subarray(start, start + length), bodyOffset: start + length };
}

/** Decrypts every chunk in order; throws DECRYPTION_FAILED on tampering, reordering or a missing final chunk. */
export function* decryptChunks(key: Buffer, file: Buffer, offset: number, version: FormatVersion): Generator<Buffer> {
  let index = 0;
  let position = offset;
  while (position < file.length) {
    if (position + 5 > file.length) throw new WardError('DECRYPTION_FAILED', 'The recording is truncated.');
    const length = file.readUInt32BE(position);
    const flag = file[position + 4]!;
    const start = position + 5;
    if (length < TAG_BYTES || start + length > file.length) {
      throw new WardError('DECRYPTION_FAILED', 'The recording is truncated.');
    }
    const body = file.subarray(start, start + length - TAG_BYTES);
    const tag = file.subarray(start + length - TAG_BYTES, start + length);
    const decipher = createDecipheriv('aes-256-gcm', key, nonceFor(index));
    decipher.setAAD(aadFor(version, index, flag));
    decipher.setAuthTag(tag);
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (cause) {
      throw new WardError('DECRYPTION_FAILED', `Recording chunk ${index} failed authentication.`, undefined, { cause });
    }
    yield plaintext;
    position = start + length;
    index += 1;
    if (flag === FLAG_FINAL) {
      if (position !== file.length) throw new WardError('DECRYPTION_FAILED', 'Data follows the final chunk.');
      return;
    }
  }
  throw new WardError('DECRYPTION_FAILED', 'The recording is truncated (no final chunk).');
}

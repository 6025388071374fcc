// The encrypted recording file: a header carrying the wrapped data key, then AES-256-GCM chunks.
// Each chunk's AAD binds its index and whether it is the last, so reordering, splicing or truncation fail to decrypt.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { WardError } from '../platform/errors.js';

export const MAGIC = Buffer.from('WARDREC1');
const TAG_BYTES = 16;
const FLAG_MORE = 0;
const FLAG_FINAL = 1;

export function encodeHeader(wrappedKey: Buffer): Buffer {
  const header = Buffer.alloc(MAGIC.length + 2);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(wrappedKey.length, MAGIC.length);
  return Buffer.concat([header, wrappedKey]);
}

function nonceFor(index: number): Buffer {
  // A fresh key per recording, so the chunk index is a unique nonce.
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function aadFor(index: number, flag: number): Buffer {
  const aad = Buffer.alloc(MAGIC.length + 9);
  MAGIC.copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(index), MAGIC.length);
  aad[MAGIC.length + 8] = flag;
  return aad;
}

/** One chunk on disk: [uint32 length of ciphertext+tag][flag][ciphertext][tag]. */
export function encryptChunk(key: Buffer, index: number, plaintext: Buffer, final: boolean): Buffer {
  const flag = final ? FLAG_FINAL : FLAG_MORE;
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(index));
  cipher.setAAD(aadFor(index, flag));
  const body = cipher.update(plaintext);
  cipher.final();
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length + TAG_BYTES, 0);
  prefix[4] = flag;
  return Buffer.concat([prefix, body, cipher.getAuthTag()]);
}

/** Splits the header off a recording file. */
export function decodeHeader(file: Buffer): { wrappedKey: Buffer; bodyOffset: number } {
  if (file.length < MAGIC.length + 2 || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new WardError('DECRYPTION_FAILED', 'Not a Ward recording.');
  }
  const length = file.readUInt16BE(MAGIC.length);
  const start = MAGIC.length + 2;
  if (file.length < start + length) throw new WardError('DECRYPTION_FAILED', 'The recording header is truncated.');
  return { wrappedKey: file.subarray(start, start + length), bodyOffset: start + length };
}

/** Decrypts every chunk in order; throws DECRYPTION_FAILED on tampering, reordering or a missing final chunk. */
export function* decryptChunks(key: Buffer, file: Buffer, offset: number): Generator<Buffer> {
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
    decipher.setAAD(aadFor(index, flag));
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

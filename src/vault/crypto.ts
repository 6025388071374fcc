// The symmetric primitives the vault uses everywhere: AES-256-GCM with a random 96-bit nonce, laid out as
// nonce || ciphertext || tag, and the additional-data strings that bind ciphertexts to what they protect.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WardError } from '../platform/errors.js';

export const DATA_ALGORITHM = 'AES-256-GCM';
const NONCE = 12;
const TAG = 16;

export function newKey(): Buffer {
  return randomBytes(32);
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(typeof aad === 'string' ? Buffer.from(aad) : aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Opens `seal` output; any tampering, truncation or wrong key raises `failure` (DECRYPTION_FAILED by default). */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array | string, failure: () => Error = decryptionFailed): Buffer {
  if (sealed.length < NONCE + TAG) throw failure();
  const buffer = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, buffer.subarray(0, NONCE));
    decipher.setAAD(typeof aad === 'string' ? Buffer.from(aad) : aad);
    decipher.setAuthTag(buffer.subarray(buffer.length - TAG));
    return Buffer.concat([decipher.update(buffer.subarray(NONCE, buffer.length - TAG)), decipher.final()]);
  } catch {
    throw failure();
  }
}

export function decryptionFailed(): WardError {
  return new WardError('DECRYPTION_FAILED', 'The stored ciphertext failed authentication; it was corrupted or tampered with.');
}

export const secretAad = (secretId: string, version: number) => `ward-secret:${secretId}:${version}`;
export const kekAad = (version: number) => `ward-kek:${version}`;

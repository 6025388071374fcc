// A RecordingKeys implementation over one local key-encryption key (AES-256 key wrap, RFC 3394).
// Tests and the demo use it; the server wires the vault's key provider behind the same interface.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WardError } from '../platform/errors.js';
import type { RecordingKeys } from '../gateway/ssh/types.js';

const IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

export function createLocalRecordingKeys(keyEncryptionKey: Buffer = randomBytes(32)): RecordingKeys {
  if (keyEncryptionKey.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
  return {
    async newDataKey() {
      const key = randomBytes(32);
      const cipher = createCipheriv('id-aes256-wrap', keyEncryptionKey, IV);
      const wrapped = Buffer.concat([cipher.update(key), cipher.final()]);
      return { key, wrapped };
    },
    async unwrap(wrapped) {
      try {
        const decipher = createDecipheriv('id-aes256-wrap', keyEncryptionKey, IV);
        return Buffer.concat([decipher.update(wrapped), decipher.final()]);
      } catch (cause) {
        throw new WardError('DECRYPTION_FAILED', 'The recording key does not unwrap with this key.', undefined, { cause });
      }
    },
  };
}

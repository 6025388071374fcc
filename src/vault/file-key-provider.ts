// The default key provider: KEKs in a local key file (JSON, mode 0600) in the data directory, made at `ward init`.
// A missing or wrong key file is KEY_UNAVAILABLE; the store records each KEK's fingerprint so a swap is detected.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WardError } from '../platform/errors.js';
import { kekAad, open, seal } from './crypto.js';
import type { KekHandle, KeyProvider } from './key-provider.js';

const FORMAT = 'ward-key-file/1';

interface KeyFile {
  format: typeof FORMAT;
  keys: Record<string, string>;
}

export const defaultKeyFileName = 'vault-kek.json';

export function defaultKeyFilePath(dataDir: string): string {
  return join(dataDir, defaultKeyFileName);
}

function fingerprint(key: Uint8Array): string {
  return `sha256:${createHash('sha256').update('ward-kek-fingerprint').update(key).digest('hex').slice(0, 32)}`;
}

function unavailable(message: string): WardError {
  return new WardError('KEY_UNAVAILABLE', message);
}

export function createFileKeyProvider(options: { path: string }): KeyProvider {
  const { path } = options;
  let cache: KeyFile | undefined;

  function load(fresh = false): KeyFile {
    if (cache && !fresh) return cache;
    if (!existsSync(path)) throw unavailable(`The vault key file ${path} is missing; restore it from your key backup (run \`ward init\` only for a new store).`);
    let parsed: KeyFile;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
    } catch {
      throw unavailable(`The vault key file ${path} cannot be read or is not a Ward key file.`);
    }
    if (parsed?.format !== FORMAT || typeof parsed.keys !== 'object' || parsed.keys === null) {
      throw unavailable(`The vault key file ${path} is not a Ward key file.`);
    }
    cache = parsed;
    return parsed;
  }

  const verified = new Map<number, { reference: string; key: Buffer }>();

  function keyFor(kek: KekHandle): Buffer {
    const hit = verified.get(kek.version);
    if (hit && hit.reference === kek.reference && cache) return hit.key;
    let encoded = load().keys[String(kek.version)];
    // Another process (a rotation) may have added the version since we read the file.
    if (!encoded) encoded = load(true).keys[String(kek.version)];
    if (!encoded) throw unavailable(`The vault key file ${path} has no key-encryption key version ${kek.version}.`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32 || fingerprint(key) !== kek.reference) {
      throw unavailable(`The vault key file ${path} does not hold the key this store was encrypted with (version ${kek.version}).`);
    }
    verified.set(kek.version, { reference: kek.reference, key });
    return key;
  }

  function save(file: KeyFile): void {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(file, null, 2), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
    cache = file;
  }

  return {
    id: 'file',
    algorithm: 'AES-256-GCM key wrap (key file)',
    location: path,
    async createKek(version) {
      let file: KeyFile;
      if (existsSync(path)) file = load(true);
      else if (version === 1) file = { format: FORMAT, keys: {} };
      else throw unavailable(`The vault key file ${path} is missing; cannot add key version ${version}.`);
      if (file.keys[String(version)]) throw new WardError('CONFLICT', `Key version ${version} already exists in ${path}.`);
      const key = randomBytes(32);
      save({ ...file, keys: { ...file.keys, [String(version)]: key.toString('base64') } });
      return { reference: fingerprint(key) };
    },
    async wrap(dataKey, kek) {
      return seal(keyFor(kek), dataKey, kekAad(kek.version));
    },
    async unwrap(wrapped, kek) {
      return open(keyFor(kek), wrapped, kekAad(kek.version));
    },
    async check(kek) {
      keyFor(kek);
    },
    async close() {
      cache = undefined;
      verified.clear();
    },
  };
}

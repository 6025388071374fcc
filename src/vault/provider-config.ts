// Chooses the key provider from the environment: the local key file in the data directory (default) or a PKCS#11
// token. The lead may fold these settings into WardConfig; the names below are the documented ones.
import { readFileSync } from 'node:fs';
import { WardError } from '../platform/errors.js';
import { createFileKeyProvider, defaultKeyFilePath } from './file-key-provider.js';
import type { KeyProvider } from './key-provider.js';
import { createPkcs11KeyProvider } from './pkcs11-key-provider.js';

export interface KeyProviderSettings {
  kind: 'file' | 'pkcs11';
  /** file: path of the key file (default <dataDir>/vault-kek.json). */
  keyFile: string;
  pkcs11?: { modulePath: string; tokenLabel: string; pin: string } | undefined;
}

/** WARD_KEY_PROVIDER=file|pkcs11, WARD_KEY_FILE, WARD_PKCS11_MODULE, WARD_PKCS11_TOKEN, WARD_PKCS11_PIN[_FILE]. */
export function keyProviderSettings(dataDir: string, env: Record<string, string | undefined> = process.env): KeyProviderSettings {
  const kind = (env.WARD_KEY_PROVIDER ?? 'file').toLowerCase();
  if (kind !== 'file' && kind !== 'pkcs11') throw new WardError('VALIDATION_FAILED', 'WARD_KEY_PROVIDER must be "file" or "pkcs11"');
  const keyFile = env.WARD_KEY_FILE ?? defaultKeyFilePath(dataDir);
  if (kind === 'file') return { kind, keyFile };
  const modulePath = env.WARD_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';
  const tokenLabel = env.WARD_PKCS11_TOKEN;
  let pin = env.WARD_PKCS11_PIN;
  if (!pin && env.WARD_PKCS11_PIN_FILE) {
    try {
      pin = readFileSync(env.WARD_PKCS11_PIN_FILE, 'utf8').trim();
    } catch {
      throw new WardError('KEY_UNAVAILABLE', `The PKCS#11 PIN file ${env.WARD_PKCS11_PIN_FILE} cannot be read.`);
    }
  }
  if (!tokenLabel || !pin) throw new WardError('VALIDATION_FAILED', 'WARD_PKCS11_TOKEN and WARD_PKCS11_PIN (or WARD_PKCS11_PIN_FILE) are required with WARD_KEY_PROVIDER=pkcs11');
  return { kind, keyFile, pkcs11: { modulePath, tokenLabel, pin } };
}

export function createKeyProvider(settings: KeyProviderSettings): KeyProvider {
  return settings.kind === 'pkcs11' && settings.pkcs11 ? createPkcs11KeyProvider(settings.pkcs11) : createFileKeyProvider({ path: settings.keyFile });
}

// The checkpoint signing key: an Ed25519 key pair in <dataDir>/keys (private 0600), created on first use,
// and signers/verifiers over it. Other algorithms (ML-DSA-65 from the vault) implement the same interfaces.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointSigner, CheckpointVerifier } from './types.js';
import { WardError } from '../platform/errors.js';

export const AUDIT_KEY_FILE = 'audit-ed25519.key';
export const AUDIT_PUBLIC_KEY_FILE = 'audit-ed25519.pub';

export function auditKeyPaths(dataDir: string) {
  const dir = join(dataDir, 'keys');
  return { dir, privateKey: join(dir, AUDIT_KEY_FILE), publicKey: join(dir, AUDIT_PUBLIC_KEY_FILE) };
}

/** Key id: the first 16 hex digits of SHA-256 over the DER public key, so verifiers pick the right key. */
export function ed25519KeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function ed25519Signer(privateKey: KeyObject): CheckpointSigner {
  const keyId = ed25519KeyId(createPublicKey(privateKey));
  return { algorithm: 'Ed25519', keyId, sign: (message) => sign(null, message, privateKey) };
}

export function ed25519Verifier(publicKey: KeyObject): CheckpointVerifier {
  return {
    algorithm: 'Ed25519',
    keyId: ed25519KeyId(publicKey),
    verify: (message, signature) => {
      try {
        return verify(null, message, publicKey, signature);
      } catch {
        return false;
      }
    },
  };
}

/** Loads the audit signing key from the data dir, creating the pair (private 0600, public 0644) if absent. */
export function loadOrCreateAuditSigner(dataDir: string): CheckpointSigner {
  const paths = auditKeyPaths(dataDir);
  if (!existsSync(paths.privateKey)) {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(paths.privateKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    chmodSync(paths.privateKey, 0o600);
    writeFileSync(paths.publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  }
  let pem: string;
  try {
    pem = readFileSync(paths.privateKey, 'utf8');
  } catch (error) {
    throw new WardError('KEY_UNAVAILABLE', `cannot read the audit signing key ${paths.privateKey}`, undefined, { cause: error });
  }
  const privateKey = createPrivateKey(pem);
  if (!existsSync(paths.publicKey)) writeFileSync(paths.publicKey, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
  return ed25519Signer(privateKey);
}

/** Reads the public key file (offline verification needs nothing else). */
export function loadAuditVerifier(publicKeyFile: string): CheckpointVerifier {
  let pem: string;
  try {
    pem = readFileSync(publicKeyFile, 'utf8');
  } catch (error) {
    throw new WardError('KEY_UNAVAILABLE', `cannot read the audit public key ${publicKeyFile}`, undefined, { cause: error });
  }
  return ed25519Verifier(createPublicKey(pem));
}

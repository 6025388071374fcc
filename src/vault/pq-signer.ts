// ML-DSA-65 (FIPS 204) signer for audit checkpoints, beside Ed25519: a checkpoint signed today stays verifiable
// against a future quantum forger. Same shape as the audit domain's checkpoint signer.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { WardError } from '../platform/errors.js';
import type { CryptoInventoryEntry } from './types.js';

export interface MlDsaSigner {
  readonly algorithm: 'ML-DSA-65';
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Key id as the audit domain forms them: the first 16 hex digits of SHA-256 over the public key. */
export function mlDsaKeyId(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

/** The audit domain's CheckpointVerifier shape, from the public key alone (offline verification). */
export function mlDsaVerifier(publicKey: Uint8Array): { algorithm: 'ML-DSA-65'; keyId: string; verify(message: Uint8Array, signature: Uint8Array): boolean } {
  return { algorithm: 'ML-DSA-65', keyId: mlDsaKeyId(publicKey), verify: (message, signature) => verifyMlDsa65(publicKey, message, signature) };
}

/** Verifies an ML-DSA-65 signature offline, from the public key alone. */
export function verifyMlDsa65(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ml_dsa65.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** A signer from a 32-byte seed (the only secret to keep); a fresh random seed when none is given. */
export function createMlDsaSigner(seed: Uint8Array = randomBytes(32)): MlDsaSigner {
  if (seed.length !== 32) throw new WardError('VALIDATION_FAILED', 'An ML-DSA-65 seed is 32 bytes.');
  const { publicKey, secretKey } = ml_dsa65.keygen(seed);
  return {
    algorithm: 'ML-DSA-65',
    keyId: mlDsaKeyId(publicKey),
    publicKey,
    sign: (message) => ml_dsa65.sign(message, secretKey),
    verify: (message, signature) => verifyMlDsa65(publicKey, message, signature),
  };
}

export const AUDIT_MLDSA_KEY_FILE = 'audit-mldsa65.key';
export const AUDIT_MLDSA_PUBLIC_KEY_FILE = 'audit-mldsa65.pub';

/** Beside the audit domain's Ed25519 pair: <dataDir>/keys/audit-mldsa65.key (seed, 0600) and .pub (base64). */
export function loadOrCreateAuditMlDsaSigner(dataDir: string): MlDsaSigner {
  const signer = loadOrCreateMlDsaSigner(join(dataDir, 'keys', AUDIT_MLDSA_KEY_FILE));
  const publicPath = join(dataDir, 'keys', AUDIT_MLDSA_PUBLIC_KEY_FILE);
  if (!existsSync(publicPath)) writeFileSync(publicPath, `${Buffer.from(signer.publicKey).toString('base64')}\n`, { mode: 0o644 });
  return signer;
}

/** Loads the signer's seed from `path` (mode 0600), creating it on first use. */
export function loadOrCreateMlDsaSigner(path: string): MlDsaSigner {
  if (existsSync(path)) {
    const seed = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (seed.length !== 32) throw new WardError('KEY_UNAVAILABLE', `The ML-DSA-65 key file ${path} is not a Ward signing key.`);
    return createMlDsaSigner(seed);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const seed = randomBytes(32);
  writeFileSync(path, `${seed.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return createMlDsaSigner(seed);
}

/** The signer's line in the cryptography inventory (pass to createVault's inventoryContributors). */
export function signerInventoryEntry(signer: { algorithm: string; keyId: string }, createdAt: number | null = null, now = Date.now()): CryptoInventoryEntry {
  return {
    category: 'signature',
    algorithm: signer.algorithm,
    keyId: signer.keyId,
    version: null,
    provider: 'file',
    state: 'active',
    createdAt,
    ageDays: createdAt === null ? null : Math.floor((now - createdAt) / 86_400_000),
    objects: null,
    notes: 'audit checkpoint signatures',
  };
}

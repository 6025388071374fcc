// The vault's public shapes: secret metadata (never values), check-outs, the reveal policy hook, crypto inventory.
import type { NamedActor } from '../platform/actor.js';
import type { PurposeOfUse } from '../audit/types.js';
import type { PasswordPolicy } from '../inventory/types.js';
import type { SecretKind, SecretMetadata } from './secret-kinds.js';

export type { SecretKind, SecretMetadata };

export interface SecretVersionInfo {
  version: number;
  algorithm: string;
  kekVersion: number;
  metadata: SecretMetadata;
  createdAt: number;
  createdBy: string | null;
}

export interface SecretInfo {
  id: string;
  accountId: string;
  kind: SecretKind;
  currentVersion: number;
  status: 'active' | 'rotation_due';
  statusReason: string | null;
  metadata: SecretMetadata;
  createdAt: number;
  updatedAt: number;
}

export interface Checkout {
  id: string;
  accountId: string;
  userId: string;
  username: string;
  reason: string;
  reasonCode: PurposeOfUse;
  ticket: string | null;
  checkedOutAt: number;
  expiresAt: number;
  endedAt: number | null;
  endReason: 'checked-in' | 'expired' | null;
}

/** The account and target facts the vault needs; the inventory service satisfies this. */
export interface AccountDirectory {
  accountWithTarget(accountId: string): Promise<{
    account: { id: string; username: string; targetId: string };
    target: { id: string; name: string; riskTier: string; passwordPolicy: PasswordPolicy | null };
  }>;
}

/** The person acting, as routes resolve them from the principal. */
export type VaultActor = NamedActor;

export interface RevealRequest {
  actor: VaultActor;
  permissions: ReadonlySet<string>;
  accountId: string;
  targetId: string;
  targetName: string;
  riskTier: string;
  secretKind: SecretKind;
  reasonCode: PurposeOfUse;
  ticket: string | undefined;
  /** When the caller last proved a second factor (epoch ms). */
  mfaVerifiedAt?: number | null | undefined;
}

export interface RevealDecision {
  allowed: boolean;
  reason: string;
  policyIds?: string[] | undefined;
}

/** Decides whether a human may see a secret value; the policy engine plugs in here. */
export interface RevealPolicy {
  decide(request: RevealRequest): Promise<RevealDecision>;
}

/** Default: anyone holding vault.secrets.reveal may reveal (the route already demanded step-up MFA). */
export const permissionRevealPolicy: RevealPolicy = {
  async decide(request) {
    return request.permissions.has('vault.secrets.reveal')
      ? { allowed: true, reason: 'holds vault.secrets.reveal' }
      : { allowed: false, reason: 'lacks vault.secrets.reveal' };
  },
};

export interface CryptoInventoryEntry {
  category: 'key-encryption-key' | 'data-encryption' | 'stored-key' | 'backup' | 'signature' | string;
  algorithm: string;
  keyId: string | null;
  version: number | null;
  provider: string | null;
  state: string | null;
  createdAt: number | null;
  ageDays: number | null;
  /** How many objects this key or algorithm protects, when countable. */
  objects: number | null;
  notes: string;
}

/** Other domains (audit checkpoint keys, gateway host keys) add their entries through this. */
export type CryptoInventoryContributor = () => Promise<CryptoInventoryEntry[]>;

export interface DataKey {
  /** The plaintext data key; `.reveal()` only where it encrypts or decrypts. */
  key: import('../platform/secret.js').Secret<Buffer>;
  /** Store this beside the object; `unwrapDataKey` turns it back into the key, across KEK rotations. */
  wrapped: Buffer;
}

/** The narrow slice of the vault a recorder needs: per-object data keys that survive KEK rotation. */
export interface DataKeyService {
  newDataKey(purpose?: string): Promise<DataKey>;
  unwrapDataKey(wrapped: Uint8Array): Promise<import('../platform/secret.js').Secret<Buffer>>;
  forgetDataKey(wrapped: Uint8Array): Promise<void>;
}

/** The narrow slice of the vault a gateway needs: inject a credential without showing it to anyone. */
export interface CredentialSource {
  useCredential(accountId: string, kind: SecretKind): Promise<import('../platform/secret.js').Secret<string>>;
}

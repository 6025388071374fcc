// The credential vault: envelope-encrypted, versioned secrets on inventory accounts; exclusive check-out with expiry;
// audited reveal under policy; online KEK rotation; the data-key API other domains use; the cryptography inventory.
import type { Kysely } from 'kysely';
import { purposeOfUseCodes, type AuditLog, type PurposeOfUse } from '../audit/types.js';
import type { Clock } from '../platform/clock.js';
import { isUniqueViolation, withTransaction, type Database } from '../platform/database/index.js';
import { WardError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { newId } from '../platform/ids.js';
import { Secret } from '../platform/secret.js';
import { DATA_ALGORITHM, newKey, open, seal, secretAad } from './crypto.js';
import type { KekHandle, KeyProvider } from './key-provider.js';
import { generateSecret, inspectSecret, secretKinds, type SecretKind, type SecretMetadata } from './secret-kinds.js';
import { createVaultStore, type CheckoutRow, type SecretRow } from './store.js';
import {
  permissionRevealPolicy,
  type AccountDirectory,
  type Checkout,
  type CryptoInventoryContributor,
  type CryptoInventoryEntry,
  type DataKey,
  type RevealPolicy,
  type SecretInfo,
  type SecretVersionInfo,
  type VaultActor,
} from './types.js';

export interface VaultDeps {
  db: Kysely<Database>;
  provider: KeyProvider;
  audit: AuditLog;
  clock: Clock;
  accounts: AccountDirectory;
  events?: EventBus | undefined;
  revealPolicy?: RevealPolicy | undefined;
  /** Extra crypto-inventory entries (audit signing keys, gateway host keys). */
  inventoryContributors?: CryptoInventoryContributor[] | undefined;
  /** Failures of the background re-wrap (logged by the caller; the job resumes on the next start). */
  onBackgroundError?: ((error: unknown) => void) | undefined;
  limits?: { maxSecretBytes?: number; maxCheckoutSeconds?: number; rotationBatchSize?: number } | undefined;
}

export interface RotationStatus {
  jobId: string | null;
  kekVersion: number;
  state: 'running' | 'done' | 'none';
  rewrapped: number;
  remaining: number;
}

export interface RevealInput {
  secretId: string;
  version?: number | undefined;
  reasonCode: string;
  justification?: string | undefined;
  ticket?: string | undefined;
  /** The caller's permissions, for the reveal policy. */
  permissions: ReadonlySet<string>;
  /** When the caller last proved a second factor (epoch ms), for policies that demand a recent one. */
  mfaVerifiedAt?: number | null | undefined;
}

const DAY = 24 * 60 * 60 * 1000;
const WRAPPED_MAGIC = Buffer.from('wdk1');

function parseMetadata(text: string): SecretMetadata {
  return JSON.parse(text) as SecretMetadata;
}

function checkoutFromRow(row: CheckoutRow): Checkout {
  return {
    id: row.id,
    accountId: row.account_id,
    userId: row.user_id,
    username: row.username,
    reason: row.reason,
    reasonCode: row.reason_code as PurposeOfUse,
    ticket: row.ticket,
    checkedOutAt: Number(row.checked_out_at),
    expiresAt: Number(row.expires_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    endReason: row.end_reason as Checkout['endReason'],
  };
}

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}
function uuidString(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function createVault(deps: VaultDeps) {
  const store = createVaultStore(deps.db);
  const { provider, clock } = deps;
  const revealPolicy = deps.revealPolicy ?? permissionRevealPolicy;
  const maxSecretBytes = deps.limits?.maxSecretBytes ?? 64 * 1024;
  const maxCheckoutSeconds = deps.limits?.maxCheckoutSeconds ?? 8 * 60 * 60;
  const batchSize = deps.limits?.rotationBatchSize ?? 200;
  const kekCache = new Map<number, KekHandle>();
  let rotationTask: Promise<RotationStatus> | undefined;

  async function kekHandle(version: number): Promise<KekHandle> {
    const cached = kekCache.get(version);
    if (cached) return cached;
    const row = await store.kek(version);
    if (!row) throw new WardError('KEY_UNAVAILABLE', `Key-encryption key version ${version} is not known to this store.`);
    const handle = { version: Number(row.version), reference: row.reference };
    kekCache.set(handle.version, handle);
    return handle;
  }

  async function activeKek(): Promise<KekHandle> {
    const row = await store.activeKek();
    if (!row) throw new WardError('KEY_UNAVAILABLE', 'The vault has no key-encryption key yet; run `ward init`.');
    return kekHandle(Number(row.version));
  }

  /**
   * A fresh data key wrapped under the active KEK (the provider call happens outside any transaction, so an HSM
   * round trip never holds a database lock). `record` stores it so rotation re-wraps it.
   */
  async function prepareDataKey(purpose: string) {
    const kek = await activeKek();
    const key = newKey();
    const wrapped = Buffer.from(await provider.wrap(key, kek));
    const id = newId();
    return {
      id,
      key,
      wrapped,
      kekVersion: kek.version,
      record: (executor?: Parameters<typeof store.insertDataKey>[1]) =>
        store.insertDataKey({ id, purpose, wrapped_key: wrapped, kek_version: kek.version, created_at: clock.now() }, executor),
    };
  }

  async function createDataKey(purpose: string) {
    const prepared = await prepareDataKey(purpose);
    await prepared.record();
    return prepared;
  }

  async function unwrapStored(wrapped: Uint8Array, kekVersion: number): Promise<Buffer> {
    return Buffer.from(await provider.unwrap(wrapped, await kekHandle(Number(kekVersion))));
  }

  async function requireSecret(id: string): Promise<SecretRow> {
    const row = await store.secret(id);
    if (!row) throw new WardError('NOT_FOUND', `No secret ${id}.`);
    return row;
  }

  async function decryptRow(row: { id: string; version: number; ciphertext: Uint8Array; wrapped_key: Uint8Array; kek_version: number }): Promise<Secret<string>> {
    const key = await unwrapStored(row.wrapped_key, Number(row.kek_version));
    try {
      const plaintext = open(key, row.ciphertext, secretAad(row.id, Number(row.version)));
      const value = plaintext.toString('utf8');
      plaintext.fill(0);
      return new Secret(value);
    } finally {
      key.fill(0);
    }
  }

  async function secretInfo(row: SecretRow): Promise<SecretInfo> {
    const current = await store.version(row.id, Number(row.current_version));
    return {
      id: row.id,
      accountId: row.account_id,
      kind: row.kind as SecretKind,
      currentVersion: Number(row.current_version),
      status: row.status as SecretInfo['status'],
      statusReason: row.status_reason,
      metadata: current ? parseMetadata(current.metadata) : {},
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  function checkReason(reasonCode: string, reason?: string): asserts reasonCode is PurposeOfUse {
    if (!(purposeOfUseCodes as readonly string[]).includes(reasonCode)) {
      throw new WardError('VALIDATION_FAILED', `reasonCode must be an HL7 PurposeOfUse code (${purposeOfUseCodes.join(', ')})`);
    }
    if (reason !== undefined && (reason.trim().length === 0 || reason.length > 500)) {
      throw new WardError('VALIDATION_FAILED', 'reason must be 1–500 characters');
    }
  }

  async function endCheckout(row: CheckoutRow, reason: 'checked-in' | 'expired', actor: VaultActor): Promise<boolean> {
    const at = clock.now();
    const rotationReason = reason === 'checked-in' ? 'checked-in' : 'checkout-expired';
    const ended = await withTransaction(deps.db, async (trx) => {
      if (!(await store.endCheckout(row.id, at, reason, trx))) return false;
      await store.markRotationDue(row.account_id, rotationReason, at, trx);
      return true;
    });
    if (!ended) return false;
    const secrets = await store.secretsFor(row.account_id);
    const { account, target } = await deps.accounts.accountWithTarget(row.account_id).catch(() => ({ account: undefined, target: undefined }));
    await deps.audit.append({
      action: reason === 'checked-in' ? 'vault.checkout.ended' : 'vault.checkout.expired',
      outcome: 'success',
      actor,
      target: { type: 'account', id: row.account_id, system: target?.name, account: account?.username },
      reasonCode: row.reason_code as PurposeOfUse,
      details: { checkoutId: row.id, holderId: row.user_id, rotationDue: true },
    });
    deps.events?.publish('vault.credential.rotation_due', { accountId: row.account_id, secretIds: secrets.map((s) => s.id), reason: rotationReason });
    return true;
  }

  async function retireUnused(): Promise<number[]> {
    const retired: number[] = [];
    for (const kek of await store.listKeks()) {
      if (kek.state !== 'retiring') continue;
      if ((await store.countDataKeysFor(Number(kek.version))) > 0) continue;
      await store.setKekState(Number(kek.version), 'retired', clock.now());
      retired.push(Number(kek.version));
      await deps.audit.append({
        action: 'vault.kek.retired',
        outcome: 'success',
        actor: { kind: 'system', name: 'vault' },
        target: { type: 'kek', id: String(kek.version), name: `${kek.provider_id} v${kek.version}` },
      });
    }
    return retired;
  }

  async function rotationStatus(): Promise<RotationStatus> {
    const job = (await store.runningJob()) ?? (await store.latestJob());
    if (!job) {
      const active = await store.activeKek();
      return { jobId: null, kekVersion: active ? Number(active.version) : 0, state: 'none', rewrapped: 0, remaining: 0 };
    }
    const counts = await store.countDataKeysByKek();
    const remaining = counts.filter((c) => c.kekVersion < Number(job.kek_version)).reduce((n, c) => n + c.count, 0);
    return { jobId: job.id, kekVersion: Number(job.kek_version), state: job.state as 'running' | 'done', rewrapped: Number(job.rewrapped), remaining };
  }

  /** Re-wraps every data key under the job's KEK, batch by batch, recording progress so a crash resumes. */
  async function runRotation(options: { maxBatches?: number } = {}): Promise<RotationStatus> {
    const job = await store.runningJob();
    if (!job) return rotationStatus();
    const target = await kekHandle(Number(job.kek_version));
    let batches = 0;
    for (;;) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) return rotationStatus();
      const rows = await store.dataKeysBelow(target.version, batchSize);
      if (rows.length === 0) break;
      let done = 0;
      for (const row of rows) {
        const key = await unwrapStored(row.wrapped_key, Number(row.kek_version));
        const wrapped = await provider.wrap(key, target);
        key.fill(0);
        if (await store.rewrapDataKey(row.id, Number(row.kek_version), target.version, wrapped)) done++;
      }
      await store.progressJob(job.id, done, clock.now());
      batches++;
    }
    await store.finishJob(job.id, clock.now());
    const retired = await retireUnused();
    await deps.audit.append({
      action: 'vault.kek.rewrap.completed',
      outcome: 'success',
      actor: { kind: 'system', name: 'vault' },
      target: { type: 'kek', id: String(target.version) },
      details: { retiredVersions: retired.map(String) },
    });
    return rotationStatus();
  }

  function startBackgroundRotation(): Promise<RotationStatus> {
    rotationTask ??= runRotation()
      .catch((error: unknown) => {
        deps.onBackgroundError?.(error);
        throw error;
      })
      .finally(() => {
        rotationTask = undefined;
      });
    rotationTask.catch(() => {});
    return rotationTask;
  }

  const vault = {
    /** Creates KEK version 1 on a new store (ward init) and checks the active KEK is usable. Idempotent. */
    async initialize(): Promise<{ kekVersion: number; created: boolean }> {
      const existing = await store.activeKek();
      if (existing) {
        await provider.check(await kekHandle(Number(existing.version)));
        return { kekVersion: Number(existing.version), created: false };
      }
      const { reference } = await provider.createKek(1);
      await store.insertKek({ version: 1, provider_id: provider.id, algorithm: provider.algorithm, reference, state: 'active', created_at: clock.now(), retired_at: null });
      await deps.audit.append({ action: 'vault.kek.created', outcome: 'success', actor: { kind: 'system', name: 'vault' }, target: { type: 'kek', id: '1', name: `${provider.id} v1` } });
      return { kekVersion: 1, created: true };
    },

    /**
     * A long-lived key for one purpose (e.g. sealing TOTP secrets), made on first use, wrapped by the KEK like
     * every data key (so KEK rotation re-wraps it and retirement counts it), and the same on every node.
     */
    async namedKey(purpose: string): Promise<Secret<Buffer>> {
      const name = `named:${purpose}`;
      let row = await store.namedDataKey(name);
      if (!row) {
        await createDataKey(name);
        row = await store.namedDataKey(name);
      }
      return new Secret(await unwrapStored(row!.wrapped_key, Number(row!.kek_version)));
    },

    // ---- the data-key API for other domains (recordings, exports) ----
    /** A fresh per-object data key; keep `wrapped` beside the object and zero the key when done. */
    async newDataKey(purpose = 'object'): Promise<DataKey> {
      const created = await createDataKey(purpose);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(created.kekVersion);
      return { key: new Secret(created.key), wrapped: Buffer.concat([WRAPPED_MAGIC, uuidBytes(created.id), header, created.wrapped]) };
    },
    /** Recovers a data key from its wrapped blob, following re-wraps done by KEK rotation since. */
    async unwrapDataKey(wrapped: Uint8Array): Promise<Secret<Buffer>> {
      const blob = Buffer.from(wrapped);
      if (blob.length < 24 || !blob.subarray(0, 4).equals(WRAPPED_MAGIC)) throw new WardError('DECRYPTION_FAILED', 'The wrapped data key is not in Ward format.');
      const id = uuidString(blob.subarray(4, 20));
      // The stored row is the truth (rotation re-wraps it, forgetting deletes it); the blob only names it.
      const current = await store.dataKey(id);
      if (!current) throw new WardError('NOT_FOUND', 'This data key was destroyed; what it encrypted cannot be read.');
      return new Secret(await unwrapStored(current.wrapped_key, Number(current.kek_version)));
    },

    /**
     * Destroys a data key (crypto-shredding: whatever it encrypted is unreadable from now on, e.g. a recording
     * past its retention). Only keys made by `newDataKey` can be forgotten; secrets are deleted through the vault.
     */
    async forgetDataKey(wrapped: Uint8Array): Promise<void> {
      const blob = Buffer.from(wrapped);
      if (blob.length < 24 || !blob.subarray(0, 4).equals(WRAPPED_MAGIC)) throw new WardError('VALIDATION_FAILED', 'The wrapped data key is not in Ward format.');
      await store.deleteDataKey(uuidString(blob.subarray(4, 20)));
    },

    // ---- secrets ----
    /** Stores a supplied or generated value as the next version of the account's secret of this kind. */
    async storeSecret(input: { accountId: string; kind: SecretKind; value?: Secret<string> | undefined; generate?: boolean | undefined }, actor: VaultActor): Promise<SecretInfo> {
      if (!(secretKinds as readonly string[]).includes(input.kind)) throw new WardError('VALIDATION_FAILED', `kind must be one of ${secretKinds.join(', ')}`);
      if ((input.value === undefined) === (input.generate !== true)) throw new WardError('VALIDATION_FAILED', 'Give either a value or generate: true.');
      const { account, target } = await deps.accounts.accountWithTarget(input.accountId);
      let value: string;
      let metadata: SecretMetadata;
      if (input.value !== undefined) {
        value = input.value.reveal();
        if (Buffer.byteLength(value, 'utf8') > maxSecretBytes) throw new WardError('SECRET_TOO_LARGE', `The secret is larger than ${maxSecretBytes} bytes.`);
        metadata = inspectSecret(input.kind, value);
      } else {
        ({ value, metadata } = generateSecret(input.kind, target.passwordPolicy));
      }
      const plaintext = Buffer.from(value, 'utf8');
      let saved: { id: string; version: number } | undefined;
      for (let attempt = 0; attempt < 5 && !saved; attempt++) {
        try {
          const dataKey = await prepareDataKey('secret');
          saved = await withTransaction(deps.db, async (trx) => {
            await dataKey.record(trx);
            const now = clock.now();
            const existing = await store.secretFor(input.accountId, input.kind, trx);
            const id = existing?.id ?? newId();
            const version = existing ? Number(existing.current_version) + 1 : 1;
            if (!existing) {
              await store.insertSecret({ id, account_id: input.accountId, kind: input.kind, current_version: version, status: 'active', status_reason: null, created_at: now, updated_at: now }, trx);
            } else if (!(await store.advanceSecret(id, version - 1, version, now, trx))) {
              throw new WardError('CONFLICT', 'retry');
            }
            await store.insertVersion(
              { secret_id: id, version, data_key_id: dataKey.id, algorithm: DATA_ALGORITHM, ciphertext: seal(dataKey.key, plaintext, secretAad(id, version)), metadata: JSON.stringify(metadata), created_at: now, created_by: actor.id },
              trx,
            );
            dataKey.key.fill(0);
            return { id, version };
          });
        } catch (error) {
          // Two writers raced for the same secret: the loser retries on the new current version.
          if (!(isUniqueViolation(error) || (error instanceof WardError && error.code === 'CONFLICT' && error.message === 'retry'))) throw error;
        }
      }
      plaintext.fill(0);
      if (!saved) throw new WardError('CONFLICT', 'The secret changed concurrently too many times; try again.');
      await deps.audit.append({
        action: saved.version === 1 ? 'vault.secret.created' : 'vault.secret.version.created',
        outcome: 'success',
        actor,
        target: { type: 'secret', id: saved.id, system: target.name, account: account.username },
        details: { kind: input.kind, version: saved.version, generated: input.generate === true },
      });
      return secretInfo((await store.secret(saved.id))!);
    },
    async listSecrets(accountId: string): Promise<SecretInfo[]> {
      await deps.accounts.accountWithTarget(accountId);
      return Promise.all((await store.secretsFor(accountId)).map(secretInfo));
    },
    async getSecret(id: string): Promise<SecretInfo & { versions: SecretVersionInfo[] }> {
      const row = await requireSecret(id);
      const versions = (await store.versions(id)).map((v) => ({
        version: Number(v.version),
        algorithm: v.algorithm,
        kekVersion: Number(v.kek_version),
        metadata: parseMetadata(v.metadata),
        createdAt: Number(v.created_at),
        createdBy: v.created_by,
      }));
      return { ...(await secretInfo(row)), versions };
    },
    async deleteSecret(id: string, actor: VaultActor): Promise<void> {
      const row = await requireSecret(id);
      await withTransaction(deps.db, (trx) => store.deleteSecret(id, trx));
      await deps.audit.append({ action: 'vault.secret.deleted', outcome: 'success', actor, target: { type: 'secret', id }, details: { kind: row.kind } });
    },
    /**
     * Marks an account's credentials for rotation (e.g. "rotate after use" when a gateway session that used them ends):
     * audited, and `vault.credential.rotation_due` tells the rotation worker. False when the account holds no secrets.
     */
    async markForRotation(accountId: string, reason: 'rotate-after-use', actor: VaultActor, context: { sessionId?: string | undefined } = {}): Promise<boolean> {
      const secrets = await store.secretsFor(accountId);
      if (!secrets.length) return false;
      await store.markRotationDue(accountId, reason, clock.now());
      const { account, target } = await deps.accounts.accountWithTarget(accountId).catch(() => ({ account: undefined, target: undefined }));
      await deps.audit.append({
        action: 'vault.credential.rotation_due',
        outcome: 'success',
        actor,
        target: { type: 'account', id: accountId, system: target?.name, account: account?.username },
        ...(context.sessionId ? { sessionId: context.sessionId } : {}),
        details: { reason, secrets: secrets.length },
      });
      deps.events?.publish('vault.credential.rotation_due', { accountId, secretIds: secrets.map((s) => s.id), reason });
      return true;
    },
    async accountHasSecrets(accountId: string): Promise<boolean> {
      return (await store.countSecretsFor(accountId)) > 0;
    },
    /** For gateways and rotation: the current credential, used on the person's behalf and never shown. */
    async useCredential(accountId: string, kind: SecretKind): Promise<Secret<string>> {
      const row = await store.readable({ accountId, kind });
      if (!row) throw new WardError('NOT_FOUND', `Account ${accountId} has no ${kind} in the vault.`);
      return decryptRow(row);
    },
    /** Shows a secret to a human: policy, reason code and a held check-out by someone else are checked; always audited. */
    async reveal(input: RevealInput, actor: VaultActor): Promise<Secret<string>> {
      return (await vault.revealVersion(input, actor)).value;
    },
    /** As `reveal`, also saying which version was shown. */
    async revealVersion(input: RevealInput, actor: VaultActor): Promise<{ value: Secret<string>; version: number }> {
      checkReason(input.reasonCode);
      const row = await store.readable({ secretId: input.secretId }, input.version);
      if (!row) {
        await requireSecret(input.secretId);
        throw new WardError('NOT_FOUND', `Secret ${input.secretId} has no version ${input.version}.`);
      }
      const { account, target } = await deps.accounts.accountWithTarget(row.account_id);
      const auditTarget = { type: 'secret', id: row.id, system: target.name, account: account.username };
      const base = { actor, target: auditTarget, reasonCode: input.reasonCode, ticket: input.ticket, justification: input.justification };
      if (row.holder_id && row.holder_id !== actor.id && Number(row.holder_expires_at) > clock.now()) {
        await deps.audit.append({ ...base, action: 'vault.secret.revealed', outcome: 'denied', details: { kind: row.kind, why: 'checked out by another user' } });
        throw new WardError('CHECKED_OUT', `This credential is checked out by ${row.holder_name} until ${new Date(Number(row.holder_expires_at)).toISOString()}.`);
      }
      const decision = await revealPolicy.decide({
        actor,
        permissions: input.permissions,
        accountId: row.account_id,
        targetId: target.id,
        targetName: target.name,
        riskTier: target.riskTier,
        secretKind: row.kind as SecretKind,
        reasonCode: input.reasonCode,
        ticket: input.ticket,
        mfaVerifiedAt: input.mfaVerifiedAt ?? null,
      });
      if (!decision.allowed) {
        await deps.audit.append({ ...base, action: 'vault.secret.revealed', outcome: 'denied', policyIds: decision.policyIds, details: { kind: row.kind, why: decision.reason } });
        throw new WardError('POLICY_DENIED', `Reveal denied: ${decision.reason}.`);
      }
      const version = Number(row.version);
      const value = await decryptRow(row);
      // Audited before the value leaves: if the trail cannot record it, nobody sees it.
      await deps.audit.append({ ...base, action: 'vault.secret.revealed', outcome: 'success', policyIds: decision.policyIds, details: { kind: row.kind, version } });
      return { value, version };
    },

    // ---- check-out / check-in ----
    async checkOut(
      input: { accountId: string; durationSeconds: number; reason: string; reasonCode: string; ticket?: string | undefined },
      actor: VaultActor,
    ): Promise<Checkout> {
      checkReason(input.reasonCode, input.reason);
      if (!Number.isInteger(input.durationSeconds) || input.durationSeconds < 60 || input.durationSeconds > maxCheckoutSeconds) {
        throw new WardError('VALIDATION_FAILED', `durationSeconds must be between 60 and ${maxCheckoutSeconds}`);
      }
      const { account, target } = await deps.accounts.accountWithTarget(input.accountId);
      const now = clock.now();
      // An expired check-out still open (the sweeper has not run yet) ends before a new one starts.
      const stale = await store.openCheckout(input.accountId);
      if (stale && Number(stale.expires_at) <= now) await endCheckout(stale, 'expired', { kind: 'system', id: 'vault', name: 'vault' });
      const row: CheckoutRow = {
        id: newId(),
        account_id: input.accountId,
        open_account_id: input.accountId,
        user_id: actor.id,
        username: actor.name,
        reason: input.reason.trim(),
        reason_code: input.reasonCode,
        ticket: input.ticket ?? null,
        checked_out_at: now,
        expires_at: now + input.durationSeconds * 1000,
        ended_at: null,
        end_reason: null,
      };
      try {
        await store.insertCheckout(row);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const holder = await store.openCheckout(input.accountId);
        await deps.audit.append({ action: 'vault.checkout.started', outcome: 'denied', actor, target: { type: 'account', id: account.id, system: target.name, account: account.username }, reasonCode: input.reasonCode, details: { why: 'already checked out' } });
        throw new WardError('CHECKED_OUT', `${account.username} on ${target.name} is already checked out${holder ? ` by ${holder.username} until ${new Date(Number(holder.expires_at)).toISOString()}` : ''}.`);
      }
      await deps.audit.append({
        action: 'vault.checkout.started',
        outcome: 'success',
        actor,
        target: { type: 'account', id: account.id, system: target.name, account: account.username },
        reasonCode: input.reasonCode,
        ticket: input.ticket,
        justification: input.reason,
        details: { checkoutId: row.id, expiresAt: Number(row.expires_at) },
      });
      return checkoutFromRow(row);
    },
    async currentCheckout(accountId: string): Promise<Checkout | null> {
      const row = await store.openCheckout(accountId);
      return row ? checkoutFromRow(row) : null;
    },
    /** Ends the caller's check-out and marks the credential for rotation. */
    async checkIn(accountId: string, actor: VaultActor): Promise<Checkout> {
      const row = await store.openCheckout(accountId);
      if (!row) throw new WardError('CONFLICT', 'This account is not checked out.');
      if (row.user_id !== actor.id) throw new WardError('CHECKED_OUT', `This credential is checked out by ${row.username}, not you.`);
      await endCheckout(row, 'checked-in', actor);
      return { ...checkoutFromRow(row), endedAt: clock.now(), endReason: 'checked-in' };
    },
    /** Ends every expired check-out (the scheduler calls this); returns how many ended. */
    async sweep(): Promise<number> {
      let ended = 0;
      for (const row of await store.expiredCheckouts(clock.now(), 500)) {
        if (await endCheckout(row, 'expired', { kind: 'system', id: 'vault', name: 'vault' })) ended++;
      }
      return ended;
    },

    // ---- keys ----
    async listKeks() {
      const counts = await store.countDataKeysByKek();
      return (await store.listKeks()).map((k) => ({
        version: Number(k.version),
        provider: k.provider_id,
        algorithm: k.algorithm,
        state: k.state,
        createdAt: Number(k.created_at),
        retiredAt: k.retired_at === null ? null : Number(k.retired_at),
        dataKeys: counts.filter((c) => c.kekVersion === Number(k.version)).reduce((n, c) => n + c.count, 0),
      }));
    },
    /** Makes a new KEK version active at once and re-wraps every data key under it in the background. */
    async rotateKek(actor: VaultActor, options: { background?: boolean } = {}): Promise<RotationStatus> {
      if (await store.runningJob()) throw new WardError('CONFLICT', 'A key rotation is already running; see `ward keys status`.');
      const keks = await store.listKeks();
      const version = Math.max(0, ...keks.map((k) => Number(k.version))) + 1;
      const { reference } = await provider.createKek(version);
      const now = clock.now();
      const jobId = newId();
      try {
        await withTransaction(deps.db, async (trx) => {
          await store.insertKek({ version, provider_id: provider.id, algorithm: provider.algorithm, reference, state: 'active', created_at: now, retired_at: null }, trx);
          for (const k of keks) if (k.state === 'active') await store.setKekState(Number(k.version), 'retiring', null, trx);
          await store.insertJob({ id: jobId, kek_version: version, state: 'running', rewrapped: 0, started_at: now, updated_at: now, finished_at: null }, trx);
        });
      } catch (error) {
        // Another node rotated at the same moment; its KEK version won.
        if (isUniqueViolation(error)) throw new WardError('CONFLICT', 'Another node started a key rotation at the same time; see `ward keys status`.');
        throw error;
      }
      await deps.audit.append({ action: 'vault.kek.rotated', outcome: 'success', actor, target: { type: 'kek', id: String(version), name: `${provider.id} v${version}` } });
      if (options.background !== false) void startBackgroundRotation().catch(() => {});
      return rotationStatus();
    },
    /** Continues an interrupted rotation (call at start); resolves when the re-wrap is done. */
    resumeRotation: () => startBackgroundRotation(),
    /** Runs the re-wrap in the foreground; `maxBatches` stops early (tests simulate a crash with it). */
    runRotation,
    rotationStatus,
    /** Resolves when the background re-wrap in this process finishes. */
    async waitForRotation(): Promise<RotationStatus> {
      if (rotationTask) return rotationTask;
      return rotationStatus();
    },

    // ---- cryptography inventory ----
    async cryptoInventory(): Promise<CryptoInventoryEntry[]> {
      const now = clock.now();
      const age = (at: number) => Math.floor((now - at) / DAY);
      const counts = await store.countDataKeysByKek();
      const entries: CryptoInventoryEntry[] = [];
      for (const k of await store.listKeks()) {
        const version = Number(k.version);
        entries.push({
          category: 'key-encryption-key',
          algorithm: k.algorithm,
          keyId: `${k.provider_id}:v${version}`,
          version,
          provider: k.provider_id,
          state: k.state,
          createdAt: Number(k.created_at),
          ageDays: age(Number(k.created_at)),
          objects: counts.filter((c) => c.kekVersion === version).reduce((n, c) => n + c.count, 0),
          notes: k.provider_id === 'pkcs11' ? 'generated inside the HSM; non-extractable' : 'AES-256 key in the local key file',
        });
      }
      const purposes = new Map<string, number>();
      for (const c of counts) purposes.set(c.purpose, (purposes.get(c.purpose) ?? 0) + c.count);
      for (const [purpose, count] of purposes) {
        entries.push({ category: 'data-encryption', algorithm: DATA_ALGORITHM, keyId: null, version: null, provider: null, state: 'active', createdAt: null, ageDays: null, objects: count, notes: `one 256-bit data key per ${purpose === 'secret' ? 'secret version' : purpose}` });
      }
      const stored = new Map<string, { count: number; oldest: number }>();
      for (const v of await store.currentVersionsMetadata()) {
        const metadata = parseMetadata(v.metadata);
        const algorithm = v.kind === 'ssh-key' ? `SSH ${metadata.algorithm ?? 'unknown'}` : v.kind === 'certificate' ? `X.509 ${metadata.keyAlgorithm ?? 'unknown'}` : null;
        if (!algorithm) continue;
        const entry = stored.get(algorithm) ?? { count: 0, oldest: Number(v.created_at) };
        entry.count++;
        entry.oldest = Math.min(entry.oldest, Number(v.created_at));
        stored.set(algorithm, entry);
      }
      for (const [algorithm, entry] of stored) {
        entries.push({ category: 'stored-key', algorithm, keyId: null, version: null, provider: null, state: 'active', createdAt: entry.oldest, ageDays: age(entry.oldest), objects: entry.count, notes: 'credentials held for targets (oldest current version)' });
      }
      entries.push({ category: 'backup', algorithm: 'X25519 + ML-KEM-768 → HKDF-SHA-256 → AES-256-GCM', keyId: null, version: 1, provider: null, state: 'active', createdAt: null, ageDays: null, objects: null, notes: 'hybrid post-quantum encryption of `ward backup create` archives' });
      for (const contributor of deps.inventoryContributors ?? []) entries.push(...(await contributor()));
      return entries;
    },
  };
  return vault;
}

export type Vault = ReturnType<typeof createVault>;

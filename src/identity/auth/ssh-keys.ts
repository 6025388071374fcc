// SSH public keys registered to a Ward user, for signing in to the SSH gateway. Adding one needs a fresh MFA proof
// (a stolen session must not plant the thief's key); adding and removing are audited. Keys are stored in OpenSSH
// form with their SHA256 fingerprint; a key registered to anyone is refused a second time.
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { WardError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import type { Principal } from '../../server/http/types.js';
import type { IdentityContext } from '../context.js';
import { normalizeName } from '../../platform/text.js';
import { toUser } from '../store.js';
import type { Actor, User } from '../types.js';

export interface SshKeyInfo {
  id: string;
  algorithm: string;
  fingerprint: string;
  comment: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface SshKeys {
  /** Registers one of the caller's own public keys (`ssh-ed25519 AAAA… comment`); needs a fresh MFA proof. */
  addSshKey(principal: Principal, input: { publicKey: string; comment?: string | undefined }, actor: Actor): Promise<SshKeyInfo>;
  listSshKeys(userId: string): Promise<SshKeyInfo[]>;
  removeSshKey(principal: Principal, keyId: string, actor: Actor): Promise<void>;
  /** The active (not disabled, not expired) user owning this public key blob, or null. */
  findUserBySshKey(username: string, blob: Buffer): Promise<User | null>;
}

/** SHA256 fingerprint as OpenSSH prints it (`SHA256:` + unpadded base64). */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses an OpenSSH public key line; refuses private keys, certificates-as-text oddities and garbage. */
export function parsePublicKeyLine(line: string): { algorithm: string; blob: Buffer; comment: string } {
  const text = line.trim();
  const parts = text.split(/\s+/);
  if (parts.length < 2 || !/^[A-Za-z0-9+/]+={0,3}$/.test(parts[1]!)) {
    throw new WardError('VALIDATION_FAILED', 'The key must be an OpenSSH public key line: "ssh-ed25519 AAAA… comment".');
  }
  const parsed = ssh2.utils.parseKey(`${parts[0]} ${parts[1]}`);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.isPrivateKey()) {
    throw new WardError('VALIDATION_FAILED', 'The key is not a valid OpenSSH public key.');
  }
  const blob = parsed.getPublicSSH();
  return { algorithm: parsed.type, blob: Buffer.from(blob), comment: parts.slice(2).join(' ').slice(0, 200) };
}

export function createSshKeys(ctx: IdentityContext, requireFreshMfa: (principal: Principal) => void): SshKeys {
  const { db, clock } = ctx;
  const view = (row: { id: string; algorithm: string; fingerprint: string; comment: string; created_at: number; last_used_at: number | null }): SshKeyInfo => ({
    id: row.id,
    algorithm: row.algorithm,
    fingerprint: row.fingerprint,
    comment: row.comment,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  });

  return {
    async addSshKey(principal, input, actor) {
      requireFreshMfa(principal);
      const key = parsePublicKeyLine(input.publicKey);
      const fingerprint = sshFingerprint(key.blob);
      const row = {
        id: newId(),
        user_id: principal.userId,
        algorithm: key.algorithm,
        public_key: key.blob.toString('base64'),
        fingerprint,
        comment: (input.comment ?? key.comment).slice(0, 200),
        created_at: clock.now(),
        last_used_at: null,
      };
      try {
        await db.insertInto('ssh_public_keys').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('CONFLICT', `The key ${fingerprint} is already registered.`);
        throw error;
      }
      await ctx.record({ action: 'identity.ssh_key.added', actor, target: { type: 'user', id: principal.userId, name: principal.username }, details: { keyId: row.id, fingerprint, algorithm: key.algorithm } });
      return view(row);
    },
    async listSshKeys(userId) {
      const rows = await db.selectFrom('ssh_public_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
      return rows.map(view);
    },
    async removeSshKey(principal, keyId, actor) {
      const row = await db.selectFrom('ssh_public_keys').selectAll().where('id', '=', keyId).where('user_id', '=', principal.userId).executeTakeFirst();
      if (!row) throw new WardError('NOT_FOUND', 'No such SSH key.');
      await db.deleteFrom('ssh_public_keys').where('id', '=', keyId).execute();
      await ctx.record({ action: 'identity.ssh_key.removed', actor, target: { type: 'user', id: principal.userId, name: principal.username }, details: { keyId, fingerprint: row.fingerprint } });
    },
    async findUserBySshKey(username, blob) {
      const fingerprint = sshFingerprint(blob);
      const row = await db
        .selectFrom('ssh_public_keys')
        .innerJoin('users', 'users.id', 'ssh_public_keys.user_id')
        .selectAll('users')
        .select(['ssh_public_keys.id as key_id', 'ssh_public_keys.public_key as key_blob'])
        .where('ssh_public_keys.fingerprint', '=', fingerprint)
        .executeTakeFirst();
      if (!row || row.key_blob !== blob.toString('base64')) return null;
      const user = toUser(row);
      if (normalizeName(user.username) !== normalizeName(username)) return null;
      if (user.status !== 'active' || (user.expiresAt !== null && user.expiresAt <= clock.now())) return null;
      await db.updateTable('ssh_public_keys').set({ last_used_at: clock.now() }).where('id', '=', row.key_id).execute();
      return user;
    },
  };
}

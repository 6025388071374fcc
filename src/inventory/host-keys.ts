// Pinned SSH host keys per target: the gateway connects only to a target whose host key an administrator pinned
// (one key confirmed, or lines imported from a known_hosts file). Pins record who pinned and when; every change is
// audited. Also the SSH port of a target, parsed from its address (`host:port`, default 22).
import { createHash, createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import ssh2 from 'ssh2';
import type { AuditLog } from '../audit/types.js';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/database/index.js';
import { isUniqueViolation } from '../platform/database/index.js';
import { WardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Actor, Target } from './types.js';

export interface HostKeyPin {
  id: string;
  targetId: string;
  /** OpenSSH form without comment: `ssh-ed25519 AAAA…`. */
  publicKey: string;
  algorithm: string;
  fingerprint: string;
  pinnedBy: string | null;
  pinnedAt: number;
}

export interface HostKeyPins {
  list(targetId: string): Promise<HostKeyPin[]>;
  pin(target: Target, publicKey: string, actor: Actor): Promise<HostKeyPin>;
  /** Pins every key of a known_hosts text that names the target's host (plain or hashed); others are skipped. */
  importKnownHosts(target: Target, content: string, actor: Actor): Promise<{ pinned: HostKeyPin[]; skipped: number }>;
  unpin(targetId: string, pinId: string, actor: Actor): Promise<void>;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address → host and SSH port (default 22). */
export function sshEndpoint(address: string): { host: string; port: number } {
  const text = address.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : 22 };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = text.split(':') as [string, string];
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new WardError('VALIDATION_FAILED', `The port in "${address}" is not valid.`);
    return { host, port: n };
  }
  return { host: text, port: 22 };
}

function parseHostKey(keyType: string, base64: string): { publicKey: string; algorithm: string; fingerprint: string } {
  if (!/^[A-Za-z0-9+/]+={0,3}$/.test(base64)) throw new WardError('VALIDATION_FAILED', 'The host key is not an OpenSSH public key ("ssh-ed25519 AAAA…").');
  const parsed = ssh2.utils.parseKey(`${keyType} ${base64}`);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.isPrivateKey()) {
    throw new WardError('VALIDATION_FAILED', 'The host key is not an OpenSSH public key ("ssh-ed25519 AAAA…").');
  }
  const blob = parsed.getPublicSSH();
  return {
    publicKey: `${parsed.type} ${blob.toString('base64')}`,
    algorithm: parsed.type,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
  };
}

/** Does a known_hosts host field (comma list, or `|1|salt|hash`) name this host and port? */
export function hostFieldMatches(field: string, host: string, port: number): boolean {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return names.some((name) => createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash);
  }
  const patterns = field.split(',');
  return patterns.some((p) => !p.startsWith('!') && names.some((name) => name.toLowerCase() === p.toLowerCase()));
}

export function createHostKeyPins(deps: { db: Kysely<Database>; audit: AuditLog; clock: Clock }): HostKeyPins {
  const { db, clock } = deps;
  const view = (row: { id: string; target_id: string; public_key: string; algorithm: string; fingerprint: string; pinned_by: string | null; pinned_at: number }): HostKeyPin => ({
    id: row.id,
    targetId: row.target_id,
    publicKey: row.public_key,
    algorithm: row.algorithm,
    fingerprint: row.fingerprint,
    pinnedBy: row.pinned_by,
    pinnedAt: Number(row.pinned_at),
  });

  async function insert(target: Target, key: { publicKey: string; algorithm: string; fingerprint: string }, actor: Actor, source: string): Promise<HostKeyPin | null> {
    const row = { id: newId(), target_id: target.id, public_key: key.publicKey, algorithm: key.algorithm, fingerprint: key.fingerprint, pinned_by: actor.id ?? null, pinned_at: clock.now() };
    try {
      await db.insertInto('inventory_host_keys').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
    await deps.audit.append({ action: 'inventory.host_key.pinned', outcome: 'success', actor, target: { type: 'target', id: target.id, name: target.name }, details: { fingerprint: key.fingerprint, algorithm: key.algorithm, source } });
    return view(row);
  }

  return {
    async list(targetId) {
      const rows = await db.selectFrom('inventory_host_keys').selectAll().where('target_id', '=', targetId).orderBy('pinned_at').execute();
      return rows.map(view);
    },
    async pin(target, publicKey, actor) {
      const [keyType, base64] = publicKey.trim().split(/\s+/);
      const key = parseHostKey(keyType ?? '', base64 ?? '');
      const pinned = await insert(target, key, actor, 'confirmed');
      if (!pinned) throw new WardError('CONFLICT', `The host key ${key.fingerprint} is already pinned for ${target.name}.`);
      return pinned;
    },
    async importKnownHosts(target, content, actor) {
      const { host, port } = sshEndpoint(target.address);
      const pinned: HostKeyPin[] = [];
      let skipped = 0;
      for (const raw of content.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const fields = line.split(/\s+/);
        // @cert-authority and @revoked lines are not pins.
        if (fields[0]!.startsWith('@') || fields.length < 3 || !hostFieldMatches(fields[0]!, host, port)) {
          skipped++;
          continue;
        }
        const added = await insert(target, parseHostKey(fields[1]!, fields[2]!), actor, 'known_hosts');
        if (added) pinned.push(added);
        else skipped++;
      }
      return { pinned, skipped };
    },
    async unpin(targetId, pinId, actor) {
      const row = await db.selectFrom('inventory_host_keys').selectAll().where('id', '=', pinId).where('target_id', '=', targetId).executeTakeFirst();
      if (!row) throw new WardError('NOT_FOUND', 'No such pinned host key.');
      await db.deleteFrom('inventory_host_keys').where('id', '=', pinId).execute();
      await deps.audit.append({ action: 'inventory.host_key.unpinned', outcome: 'success', actor, target: { type: 'target', id: targetId }, details: { fingerprint: row.fingerprint } });
    },
  };
}

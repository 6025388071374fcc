// Shared helpers for the audit integration suites: a trail over a test database, a clean slate, sample events.
import { generateKeyPairSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, WardDatabase } from '../../src/platform/database/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createAuditTrail, type AuditTrail } from '../../src/audit/service.js';
import { ed25519Signer, ed25519Verifier } from '../../src/audit/keys.js';
import type { AuditEventInput, CheckpointVerifier } from '../../src/audit/types.js';

export function testKeys() {
  const pair = generateKeyPairSync('ed25519');
  return { signer: ed25519Signer(pair.privateKey), verifier: ed25519Verifier(pair.publicKey) as CheckpointVerifier, pair };
}

export async function resetAudit(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('audit_events').execute();
  await db.deleteFrom('audit_checkpoints').execute();
  await db.deleteFrom('audit_sink_cursors').execute();
  await db.deleteFrom('audit_archives').execute();
  await db
    .updateTable('audit_head')
    .set({ sequence: 0, hash: Buffer.alloc(32), checkpoint_sequence: 0, pruned_before: 1, pruned_hash: Buffer.alloc(32), updated_at: 0 })
    .execute();
}

export function trailFor(database: WardDatabase, options: { interval?: number; keys?: ReturnType<typeof testKeys> } = {}) {
  const keys = options.keys ?? testKeys();
  const clock = createManualClock();
  const trail: AuditTrail = createAuditTrail({
    db: database.db,
    dialect: database.dialect,
    clock,
    nodeId: 'node-a',
    signers: [keys.signer],
    checkpointEvery: { events: options.interval ?? 10, seconds: 3600 },
  });
  return { trail, keys, clock };
}

export function sampleEvent(i: number): AuditEventInput {
  const kinds: AuditEventInput[] = [
    { action: 'auth.login', outcome: 'success', actor: { id: `u-${i % 7}`, kind: 'user', name: `user${i % 7}`, address: '10.0.0.7' } },
    {
      action: 'access.grant.created',
      outcome: 'success',
      actor: { id: `u-${i % 5}`, kind: 'user', name: `user${i % 5}` },
      target: { type: 'target', id: 't-ehr', name: 'ehr-db-01', system: 'ehr-db-01', account: 'postgres' },
      reasonCode: 'HSYSADMIN',
      ticket: `CHG-${1000 + i}`,
      justification: 'monthly patching',
      policyIds: ['p-peer-approval'],
    },
    {
      action: 'access.breakglass.started',
      outcome: 'success',
      actor: { id: 'u-oncall', kind: 'user', name: 'oncall' },
      target: { type: 'target', id: 't-pacs', name: 'pacs-01' },
      reasonCode: 'ETREAT',
      sessionId: `s-${i}`,
      details: { durationMinutes: 30 },
    },
    { action: 'auth.login', outcome: 'failure', actor: { kind: 'anonymous', name: 'mallory', address: '192.0.2.9' }, details: { reason: 'bad password' } },
  ];
  return kinds[i % kinds.length]!;
}

export async function appendMany(trail: AuditTrail, count: number) {
  return Promise.all(Array.from({ length: count }, (_, i) => trail.append(sampleEvent(i))));
}

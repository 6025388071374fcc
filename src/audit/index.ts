// What other folders may import from the audit domain, and one factory that assembles it for the composition root.
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database, DialectName } from '../platform/database/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { createAuditTrail, type AuditTrail } from './service.js';
import { createAuditOutbox, type AuditOutbox } from './outbox.js';
import { createAuditArchiver } from './archive.js';
import { auditRoutes } from './routes.js';
import { auditKeyPaths, loadAuditVerifier, loadOrCreateAuditSigner } from './keys.js';
import type { AuditSink } from './sinks/types.js';
import type { AuditSpool, CheckpointSigner, CheckpointVerifier } from './types.js';
import type { RouteModule } from '../server/http/types.js';

export * from './types.js';
export { createAuditTrail, type AuditTrail, type AuditTrailDeps } from './service.js';
export { createAuditOutbox, type AuditOutbox, type SinkHealth } from './outbox.js';
export { createAuditArchiver, verifyArchive, buildArchive, DEFAULT_RETENTION_DAYS } from './archive.js';
export { verifyStore, verifyChainSource } from './verify.js';
export { createAuditStore, type AuditStore } from './store.js';
export { auditRoutes, type AuditRouteOptions } from './routes.js';
export { auditMigrations } from './migrations.js';
export { dicomFor, dicomByAction, dicomByPrefix } from './dicom.js';
export { parseAuditSettings, createConfiguredSinks, type AuditSettings, type SinkDefinition } from './config.js';
export { auditKeyPaths, loadOrCreateAuditSigner, loadAuditVerifier, ed25519Signer, ed25519Verifier } from './keys.js';
export { createSyslogSink, formatSyslog, frameOctetCounted, toCef } from './sinks/syslog.js';
export { createFhirSink, toFhirAuditEvent } from './sinks/fhir.js';
export { createWebhookSink, signWebhook, verifyWebhookSignature } from './sinks/webhook.js';
export type { AuditSink, SinkItem } from './sinks/types.js';
export { createMemoryAuditLog, type MemoryAuditLog } from './memory.js';

export interface AuditDomainDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  dataDir: string;
  metrics: Registry;
  sinks: AuditSink[];
  checkpointEvery?: { events: number; seconds: number };
  retentionDays?: number;
  /** Extra signers beside the file Ed25519 key (the vault's ML-DSA-65), and their verifiers. */
  extraSigners?: CheckpointSigner[];
  extraVerifiers?: CheckpointVerifier[];
  spool?: AuditSpool;
}

export interface AuditDomain {
  trail: AuditTrail;
  outbox: AuditOutbox;
  routes: RouteModule;
  /** Starts sink delivery and the daily retention run. */
  start(): void;
  stop(): Promise<void>;
}

/** Builds the trail (signing key from <dataDir>/keys), the outbox wired to commits, retention and routes. */
export function createAuditDomain(deps: AuditDomainDeps): AuditDomain {
  const signer = loadOrCreateAuditSigner(deps.dataDir);
  const signers = [signer, ...(deps.extraSigners ?? [])];
  const verifiers = [loadAuditVerifier(auditKeyPaths(deps.dataDir).publicKey), ...(deps.extraVerifiers ?? [])];
  const trail = createAuditTrail({
    db: deps.db,
    dialect: deps.dialect,
    clock: deps.clock,
    nodeId: deps.nodeId,
    signers,
    logger: deps.logger,
    checkpointEvery: deps.checkpointEvery,
    spool: deps.spool,
    metrics: deps.metrics,
  });
  const outbox = createAuditOutbox({ store: trail.store, sinks: deps.sinks, clock: deps.clock, logger: deps.logger, registry: deps.metrics });
  trail.onCommit(({ lastSequence }) => outbox.notify(lastSequence));
  const archiver = createAuditArchiver({
    store: trail.store,
    signers,
    verifiers,
    clock: deps.clock,
    directory: join(deps.dataDir, 'audit-archives'),
    audit: trail,
    retentionDays: deps.retentionDays,
  });
  let stopRetention: (() => void) | null = null;
  return {
    trail,
    outbox,
    routes: auditRoutes(trail, { outbox, verifiers }),
    start() {
      outbox.start();
      stopRetention ??= archiver.schedule(86_400_000, (error) => deps.logger.error({ err: error }, 'audit retention run failed'));
    },
    async stop() {
      stopRetention?.();
      await trail.close();
      await outbox.stop();
    },
  };
}

// The composition root: builds every service once, in dependency order, and hands them to routes and gateways.
// Nothing else in Ward knows every piece.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { WardConfig } from '../platform/config.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { createEventBus, type EventBus } from '../platform/events.js';
import { openDatabase, migrateToLatest, migrationsCurrent, type WardDatabase } from '../platform/database/index.js';
import { allMigrations } from './migrations.js';
import { createHttpApp, type RegisteredRoute } from './http/app.js';
import type { RouteModule, WardApp } from './http/types.js';
import { ensureDataDir, ensureTls } from './datadir.js';
import { consoleExtension } from './console.js';
import { createAuditDomain, parseAuditSettings, createConfiguredSinks, type AuditDomain } from '../audit/index.js';
import { createIdentityService, identityRoutes, ensureBootstrapAdmin, type IdentityService } from '../identity/index.js';
import { createInventoryService, inventoryRoutes, type InventoryService } from '../inventory/index.js';
import { createAccessService, accessRoutes, createRiskTierPolicy, registerAccessMetrics, type AccessService } from '../access/index.js';
import { accessDirectoryFrom, accessInventoryFrom, cedarAccessPolicy, cedarRevealPolicy, policyEntitiesFrom } from './adapters.js';
import { createPolicyEngine, policyRoutes, type PolicyEngine } from '../policy/index.js';
import { notifierFromSettings } from './notifications.js';
import { createGatewayWiring, type GatewayWiring } from './gateway.js';
import { parseNetworkZones } from '../platform/network-zones.js';
import { recordingSearchRoutes } from '../recording/index.js';
import {
  createVault,
  vaultRoutes,
  createBackup,
  keyProviderSettings,
  createKeyProvider,
  loadOrCreateAuditMlDsaSigner,
  mlDsaVerifier,
  signerInventoryEntry,
  type Vault,
  type RevealPolicy,
} from '../vault/index.js';

export interface WardOptions {
  config: WardConfig;
  logger?: Logger;
  clock?: Clock;
  /** 'timer' in production; tests with a manual clock pass 'manual' and drive deadlines with access.tick(). */
  scheduler?: 'timer' | 'manual';
  /** The web console at `/` (default: web/dist if built); false serves the API alone. */
  console?: boolean | undefined;
}

export interface Ward {
  config: WardConfig;
  logger: Logger;
  clock: Clock;
  events: EventBus;
  database: WardDatabase;
  metrics: Registry;
  /** The audit trail every domain writes through (hash-chained, checkpointed, exported). */
  audit: AuditDomain['trail'];
  auditDomain: AuditDomain;
  identity: IdentityService;
  inventory: InventoryService;
  vault: Vault;
  /** True when this start made the store's first key-encryption key (a new data directory). */
  keyCreated: boolean;
  access: AccessService;
  policy: PolicyEngine;
  /** The SSH gateway (started by listen()); `ssh.address()` is where it listens. */
  ssh: GatewayWiring;
  app: WardApp;
  routes: RegisteredRoute[];
  /** Listens on the configured address (port 0 picks a free one) and starts background work. */
  listen(): Promise<{ url: string }>;
  close(): Promise<void>;
}

/** `ward init`: data dir, local key, TLS pair (auto), schema, bootstrap admin. Idempotent. */
export async function initWard(config: WardConfig, options: { logger?: Logger } = {}) {
  const ward = await createWard({ config, ...(options.logger ? { logger: options.logger } : {}) });
  try {
    return await bootstrapWard(ward);
  } finally {
    await ward.close();
  }
}

/** The bootstrap admin of a running composition (createWard already made the data dir, keys and TLS pair). */
export async function bootstrapWard(ward: Ward) {
  const admin = await ensureBootstrapAdmin(ward.identity, { password: ward.config.bootstrapAdminPassword });
  return { keyCreated: ward.keyCreated, admin };
}

export async function createWard(options: WardOptions): Promise<Ward> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const events = createEventBus((error) => logger.error({ err: error }, 'event listener failed'));
  ensureDataDir(config.dataDir);
  const database = openDatabase(config.databaseUrl);
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    await migrateToLatest(database.db, allMigrations, database.dialect);
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics, prefix: 'ward_' });

    const auditSettings = parseAuditSettings(config.settings);
    // Checkpoints carry an ML-DSA-65 signature beside Ed25519, so a future quantum forger cannot rewrite the trail.
    const pqSigner = loadOrCreateAuditMlDsaSigner(config.dataDir);
    const auditDomain = createAuditDomain({
      db: database.db,
      dialect: database.dialect,
      clock,
      logger,
      nodeId: config.nodeId,
      dataDir: config.dataDir,
      metrics,
      sinks: createConfiguredSinks(auditSettings.sinks, { hostname: config.nodeId }),
      checkpointEvery: auditSettings.checkpointEvery,
      retentionDays: auditSettings.retentionDays,
      extraSigners: [pqSigner],
      extraVerifiers: [mlDsaVerifier(pqSigner.publicKey)],
    });
    const audit = auditDomain.trail;
    cleanups.push(() => auditDomain.stop());


    // The inventory asks the vault before deleting an account; the vault reads accounts from the inventory.
    const late: { vault?: Vault; reveal?: RevealPolicy } = {};
    const inventory = createInventoryService({
      db: database.db,
      audit,
      clock,
      accountInUse: (accountId) => late.vault!.accountHasSecrets(accountId),
      onChange: () => events.publish('policy.entities.changed', {}),
    });
    const vault = createVault({
      db: database.db,
      provider: createKeyProvider(keyProviderSettings(config.dataDir, config.settings)),
      audit,
      clock,
      accounts: inventory,
      events,
      // Reveal asks the Cedar policy set, built below (it needs identity, which needs the vault's key).
      revealPolicy: { decide: (request) => late.reveal!.decide(request) },
      inventoryContributors: [async () => [signerInventoryEntry(pqSigner)]],
      onBackgroundError: (error) => logger.error({ err: error }, 'vault background re-wrap failed'),
    });
    late.vault = vault;
    // A brand-new store gets its first key-encryption key here; an initialised one is left as it is.
    const keyInit = await vault.initialize();

    const identity = createIdentityService({
      db: database.db,
      audit,
      clock,
      events,
      settings: config.auth,
      webauthn: config.webauthn,
      // TOTP secrets are sealed with a vault-held key, never stored as typed.
      factorKey: (await vault.namedKey('identity.totp')).reveal(),
    });

    const policy = createPolicyEngine({
      db: database.db,
      audit,
      clock,
      entities: policyEntitiesFrom(identity, inventory, events),
      logger,
      timeZone: config.settings.WARD_TIME_ZONE ?? 'UTC',
    });
    await policy.start();
    cleanups.unshift(() => policy.stop());
    const networkZone = config.settings.WARD_NETWORK_ZONE ?? 'enterprise';
    late.reveal = cedarRevealPolicy(policy, clock, { networkZone });

    const notifications = notifierFromSettings(config.settings, logger);
    cleanups.push(() => notifications.close());
    const access = createAccessService({
      db: database.db,
      directory: accessDirectoryFrom(identity),
      inventory: accessInventoryFrom(inventory),
      policy: cedarAccessPolicy(policy, createRiskTierPolicy(), clock, { networkZone }),
      audit,
      clock,
      events,
      notifier: notifications.notifier,
      publicUrl: config.publicUrl,
      scheduler: options.scheduler ?? 'timer',
      onError: (error, context) => logger.error({ err: error, context }, 'access background task failed'),
    });
    await access.start();
    cleanups.unshift(() => access.stop());
    registerAccessMetrics(metrics, () => access.metrics());

    const networkZones = parseNetworkZones(config.settings.WARD_NETWORK_ZONES, networkZone);
    const ssh = createGatewayWiring({ config, db: database.db, identity, inventory, vault, access, policy, networkZones, audit, events, clock, logger });

    const routeModules: RouteModule[] = [
      identityRoutes(identity),
      auditDomain.routes,
      inventoryRoutes(inventory),
      accessRoutes(access),
      policyRoutes(policy),
      vaultRoutes(vault, {
        audit,
        backup: (recipientPublicKey, write) =>
          createBackup({ db: database.db as never, dialect: database.dialect, recipientPublicKey, write, now: () => clock.now() }),
      }),
      ...ssh.routes,
      // The recordings search reads the audit trail, which the gateway wiring does not hold (it only appends).
      recordingSearchRoutes({ audit }),
    ];
    const { app, routes } = await createHttpApp({
      logger,
      authenticator: identity,
      routes: routeModules,
      bodyLimitBytes: config.bodyLimitBytes,
      stepUpMaxAgeSeconds: config.auth.stepUpMaxAgeSeconds,
      metrics,
      now: () => clock.now(),
      https: await ensureTls(config),
      ...(options.console === false ? {} : { extend: consoleExtension() }),
      ready: async () => {
        const reachable = await database.ping();
        const current = reachable && (await migrationsCurrent(database.db, allMigrations, database.dialect));
        const auditWritable = reachable && (await audit.ready());
        return {
          ready: reachable && current && auditWritable,
          checks: { database: reachable, migrations: current, audit: auditWritable },
        };
      },
    });
    cleanups.unshift(() => app.close());

    return {
      config,
      logger,
      clock,
      events,
      database,
      metrics,
      audit,
      auditDomain,
      identity,
      inventory,
      vault,
      keyCreated: keyInit.created,
      access,
      policy,
      ssh,
      app,
      routes,
      async listen() {
        const url = await app.listen({ host: config.httpListen.host, port: config.httpListen.port });
        auditDomain.start();
        await ssh.start();
        cleanups.unshift(() => ssh.stop());
        // A KEK rotation interrupted by a crash resumes; expired check-outs are checked in every few seconds.
        void vault.resumeRotation();
        const sweeper = setInterval(() => {
          vault.sweep().catch((error: unknown) => logger.error({ err: error }, 'vault check-out sweep failed'));
        }, 5_000);
        sweeper.unref();
        cleanups.unshift(() => clearInterval(sweeper));
        return { url };
      },
      async close() {
        for (const cleanup of cleanups) await cleanup();
        await database.close();
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}

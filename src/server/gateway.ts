// Wires the SSH gateway to the real domains: identity (registered keys, password + TOTP), inventory (targets,
// accounts, pinned host keys), the vault (credentials, recording data keys) and access (the active grant).
// compose.ts calls createGatewayWiring once and adds its routes; listen() starts it and close() stops it.
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { WardConfig } from '../platform/config.js';
import type { Database } from '../platform/database/index.js';
import type { Clock } from '../platform/clock.js';
import type { EventBus } from '../platform/events.js';
import type { Logger } from '../platform/logger.js';
import { isWardError } from '../platform/errors.js';
import { normalizeName } from '../platform/text.js';
import type { AuditLog } from '../audit/types.js';
import type { IdentityService } from '../identity/index.js';
import { createHostKeyPins, hostKeyRoutes, sshEndpoint, type HostKeyPins, type InventoryService, type Target } from '../inventory/index.js';
import type { Vault } from '../vault/index.js';
import type { AccessService } from '../access/index.js';
import {
  createSshGateway,
  sshSessionRoutes,
  type AccountCredential,
  type GatewayAuthorizer,
  type GatewayTargets,
  type GatewayUsers,
  type RecordingKeys,
  type SshGateway,
} from '../gateway/ssh/index.js';
import { createRecordingReader, recordingRoutes } from '../recording/index.js';
import type { RouteModule } from './http/types.js';

export interface GatewayWiringDeps {
  config: WardConfig;
  db: Kysely<Database>;
  identity: IdentityService;
  inventory: InventoryService;
  vault: Vault;
  access: AccessService;
  audit: AuditLog;
  events: EventBus;
  clock: Clock;
  logger: Logger;
}

export interface GatewayWiring {
  gateway: SshGateway;
  hostKeys: HostKeyPins;
  routes: RouteModule[];
  /** Listens on WARD_SSH_LISTEN (port 0 picks a free one); the address it got. */
  start(): Promise<{ host: string; port: number }>;
  /** The address after start(), for tests and the demo. */
  address(): { host: string; port: number } | null;
  stop(): Promise<void>;
}

/** Marks "no account named and the target has none or several": the authorizer refuses with this reason. */
const NO_DEFAULT_ACCOUNT = 'no-default-account:';

/** `WARD_SSH_ZONES`: comma-separated zone names this gateway serves; unset or empty means every zone. */
export function parseSshZones(settings: Readonly<Record<string, string | undefined>>): string[] | null {
  const names = (settings.WARD_SSH_ZONES ?? '').split(',').map((z) => z.trim()).filter(Boolean);
  return names.length ? names : null;
}

export function gatewayUsersFrom(identity: IdentityService, clock: Clock): GatewayUsers {
  const toGatewayUser = (user: { id: string; username: string; kind: string }) => ({
    id: user.id,
    username: user.username,
    kind: user.kind === 'human' ? ('user' as const) : (user.kind as 'vendor' | 'service'),
  });
  return {
    async authenticatePublicKey(username, key) {
      const user = await identity.findUserBySshKey(username, key.blob);
      return user ? toGatewayUser(user) : null;
    },
    async authenticatePassword(username, password, totp, context) {
      try {
        const user = await identity.verifyPasswordAndTotp({ username, password: password.reveal(), totp }, { address: context?.clientAddress, userAgent: 'ssh' });
        return { ...toGatewayUser(user), mfaAt: clock.now() };
      } catch (error) {
        if (isWardError(error)) return null;
        throw error;
      }
    },
  };
}

export function gatewayTargetsFrom(deps: { inventory: InventoryService; vault: Vault; hostKeys: HostKeyPins; zones: string[]; allZones: boolean }): GatewayTargets {
  const { inventory, vault } = deps;
  async function findTarget(ref: string): Promise<Target | null> {
    const byName = await inventory.findTargetByName(ref);
    if (byName) return byName;
    try {
      return await inventory.getTarget(ref);
    } catch (error) {
      if (isWardError(error, 'NOT_FOUND')) return null;
      throw error;
    }
  }
  return {
    async resolve(selection) {
      const target = await findTarget(selection.target);
      if (!target) return null;
      const zone = await inventory.getZone(target.zoneId);
      // Serving every zone: the fence list follows the inventory (zones may be created after start).
      if (deps.allZones && !deps.zones.includes(zone.name)) deps.zones.push(zone.name);
      const accounts = await inventory.listAccounts({ targetId: target.id, limit: 500 });
      let account: { id: string; name: string };
      if (selection.account) {
        const wanted = normalizeName(selection.account);
        const found = accounts.find((a) => normalizeName(a.username) === wanted);
        if (!found) return null;
        account = { id: found.id, name: found.username };
      } else if (accounts.length === 1) {
        account = { id: accounts[0]!.id, name: accounts[0]!.username };
      } else {
        account = { id: `${NO_DEFAULT_ACCOUNT}${accounts.length}`, name: '' };
      }
      const { host, port } = sshEndpoint(target.address);
      const pins = await deps.hostKeys.list(target.id);
      return {
        target: { id: target.id, name: target.name, host, port, zone: zone.name, riskTier: target.riskTier, hostKeys: pins.map((p) => p.publicKey) },
        account,
      };
    },
    async credential(account): Promise<AccountCredential> {
      // A private key wins over a password when the vault holds both for the account.
      try {
        return { kind: 'privateKey', privateKey: await vault.useCredential(account.id, 'ssh-key') };
      } catch (error) {
        if (!isWardError(error, 'NOT_FOUND')) throw error;
      }
      return { kind: 'password', password: await vault.useCredential(account.id, 'password') };
    },
  };
}

export function gatewayAuthorizerFrom(access: AccessService): GatewayAuthorizer {
  return {
    async authorizeConnect(context) {
      const { target, account, user } = context;
      if (!context.gatewayZones.includes(target.zone)) {
        return { allowed: false, reason: `${target.name} is in zone ${target.zone}, which this gateway does not serve` };
      }
      if (account.id.startsWith(NO_DEFAULT_ACCOUNT)) {
        const count = Number(account.id.slice(NO_DEFAULT_ACCOUNT.length));
        return {
          allowed: false,
          reason: count === 0
            ? `${target.name} has no accounts in Ward's inventory`
            : `${target.name} has ${count} accounts; name one: ssh ${user.username}+ACCOUNT@${target.name}@<gateway>`,
        };
      }
      const grant = await access.activeGrantFor(user.id, target.id, account.id);
      if (!grant) {
        return {
          allowed: false,
          reason: `no active grant for ${account.name}@${target.name}; request one: ward request ${target.name} --account ${account.name} -d 1h -r HSYSADMIN -j "why"`,
        };
      }
      // Every session is recorded, break-glass ones included; the grant id ties the recording to the grant.
      return { allowed: true, grantId: grant.id, ...(grant.breakglass ? { reasonCode: 'break-glass' } : {}) };
    },
    authorizeChannel(_context, request) {
      if (request.kind === 'shell' || request.kind === 'exec' || request.kind === 'sftp') return { allowed: true };
      const names = { 'port-forward': 'port forwarding', agent: 'agent forwarding', x11: 'X11 forwarding' } as const;
      return { allowed: false, reason: `${names[request.kind]} is not allowed through Ward` };
    },
  };
}

export function recordingKeysFrom(vault: Vault): RecordingKeys {
  return {
    async newDataKey() {
      const created = await vault.newDataKey('recording');
      return { key: created.key.reveal(), wrapped: created.wrapped };
    },
    async unwrap(wrapped) {
      return (await vault.unwrapDataKey(wrapped)).reveal();
    },
  };
}

export function createGatewayWiring(deps: GatewayWiringDeps): GatewayWiring {
  const { config, audit, logger } = deps;
  const configured = parseSshZones(config.settings);
  const zones = configured ?? [];
  const hostKeys = createHostKeyPins({ db: deps.db, audit, clock: deps.clock });
  const recordingDirectory = join(config.dataDir, 'recordings');
  const recordingKeys = recordingKeysFrom(deps.vault);
  const gateway = createSshGateway({
    listen: config.sshListen,
    hostKeyDirectory: join(config.dataDir, 'ssh'),
    recordingDirectory,
    zones,
    users: gatewayUsersFrom(deps.identity, deps.clock),
    targets: gatewayTargetsFrom({ inventory: deps.inventory, vault: deps.vault, hostKeys, zones, allZones: configured === null }),
    authorizer: gatewayAuthorizerFrom(deps.access),
    audit,
    recordingKeys,
    events: deps.events,
    clock: deps.clock,
    log: (message, fields) => logger.warn({ ...fields, component: 'ssh-gateway' }, message),
  });
  let bound: { host: string; port: number } | null = null;
  return {
    gateway,
    hostKeys,
    routes: [
      sshSessionRoutes({ sessions: gateway.sessions, audit }),
      recordingRoutes({ reader: createRecordingReader({ directory: recordingDirectory, keys: recordingKeys }), audit }),
      hostKeyRoutes(deps.inventory, hostKeys),
    ],
    async start() {
      bound = await gateway.start();
      logger.info({ address: bound }, 'SSH gateway listening');
      return bound;
    },
    address: () => bound,
    async stop() {
      if (bound) await gateway.stop();
      bound = null;
    },
  };
}


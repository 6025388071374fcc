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
import type { NetworkZones } from '../platform/network-zones.js';
import { isWardError } from '../platform/errors.js';
import { normalizeName } from '../platform/text.js';
import type { AuditLog } from '../audit/types.js';
import type { IdentityService } from '../identity/index.js';
import {
  createHostKeyPins,
  effectiveSessionPolicy,
  hostKeyRoutes,
  sshEndpoint,
  type HostKeyPins,
  type InventoryService,
  type SessionPolicy,
  type Target,
} from '../inventory/index.js';
import type { Vault } from '../vault/index.js';
import type { AccessService } from '../access/index.js';
import type { PolicyEngine } from '../policy/index.js';
import type { Explanation, PolicyRequest } from '../policy/types.js';
import {
  createSshGateway,
  parseCommand,
  sshSessionRoutes,
  type AccountCredential,
  type CommandControl,
  type ConnectContext,
  type GatewayAuthorizer,
  type GatewayTargets,
  type GatewayUsers,
  type RecordingKeys,
  type ResolvedAccount,
  type ResolvedTarget,
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
  policy: PolicyEngine;
  networkZones: NetworkZones;
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
  // A key-only login carries the age of the user's latest second factor in an open Ward session (console or CLI).
  const withMfa = async (user: ReturnType<typeof toGatewayUser>) => ({ ...user, mfaAt: (await identity.lastMfaAt(user.id)) ?? undefined });
  return {
    async authenticatePublicKey(username, key) {
      const user = await identity.findUserBySshKey(username, key.blob);
      return user ? withMfa(toGatewayUser(user)) : null;
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

/** The session rules of targets the gateway resolved, kept for the authorizer so it need not read the target again. */
export type SessionRules = WeakMap<ResolvedTarget, SessionPolicy>;

export function gatewayTargetsFrom(deps: {
  inventory: InventoryService;
  vault: Vault;
  hostKeys: HostKeyPins;
  zones: string[];
  allZones: boolean;
  rules: SessionRules;
}): GatewayTargets {
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
      const rules = effectiveSessionPolicy(target);
      let account: ResolvedAccount;
      if (selection.account) {
        const wanted = normalizeName(selection.account);
        const found = accounts.find((a) => normalizeName(a.username) === wanted);
        if (!found) return null;
        account = { id: found.id, name: found.username, rotateAfterUse: rules.rotateAfterUse };
      } else if (accounts.length === 1) {
        account = { id: accounts[0]!.id, name: accounts[0]!.username, rotateAfterUse: rules.rotateAfterUse };
      } else {
        account = { id: `${NO_DEFAULT_ACCOUNT}${accounts.length}`, name: '' };
      }
      const { host, port } = sshEndpoint(target.address);
      const pins = await deps.hostKeys.list(target.id);
      const resolved: ResolvedTarget = { id: target.id, name: target.name, host, port, zone: zone.name, riskTier: target.riskTier, hostKeys: pins.map((p) => p.publicKey) };
      deps.rules.set(resolved, rules);
      return { target: resolved, account };
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

/** What the gateway's authorizer needs: the grant, why it exists, the target's session rules and the Cedar engine. */
export interface GatewayPolicyDeps {
  access: Pick<AccessService, 'activeGrantFor' | 'grantPurpose'>;
  /** The target's session rules (its stored policy over its risk tier's defaults). */
  sessionPolicyFor(target: ResolvedTarget): Promise<SessionPolicy>;
  engine: Pick<PolicyEngine, 'decide' | 'explain'>;
  /** The network zone a client address is in (WARD_NETWORK_ZONES ranges, else WARD_NETWORK_ZONE). */
  networkZoneOf(address: string): string;
}

/** The one-line reason a Cedar denial gives the user: the forbidding policy, or the permit that almost applied. */
function policyRefusal(explanation: Explanation, targetName: string): string {
  const [forbid] = explanation.determining;
  if (forbid) return `refused by policy ${forbid}: ${explanation.descriptions[forbid] ?? ''}`.trim();
  const [near] = explanation.failed;
  if (near) return `no policy lets you connect to ${targetName}; ${near.policyId} ${near.condition}`;
  return `no policy lets you connect to ${targetName}`;
}

export function toCommandControl(policy: SessionPolicy): CommandControl {
  if (policy.commandControl === 'allow') {
    const commands = policy.allowedCommands.map((line) => parseCommand(line)).flatMap((parsed) => (parsed.ok ? [parsed.argv] : []));
    return { mode: 'allow', commands };
  }
  return policy.commandControl === 'deny' ? { mode: 'deny' } : { mode: 'off' };
}

/**
 * Connect decisions: the zone fence, an active JIT or break-glass grant, the target's session rules (second factor)
 * and the Cedar `connect` decision with the session's context (network zone of the client address, device trust — a registered key is a
 * known device, password + TOTP alone is not — MFA age, purpose of use, ticket, on-call, emergency, time; the
 * engine adds the risk tier and after-hours). A break-glass grant stands in for a missing role permit but never
 * overrides a forbid. Channels follow the target's rules; agent and X11 forwarding are never relayed.
 */
export function gatewayAuthorizerFrom(deps: GatewayPolicyDeps): GatewayAuthorizer {
  const policies = new WeakMap<ConnectContext, SessionPolicy>();
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
      const grant = await deps.access.activeGrantFor(user.id, target.id, account.id);
      if (!grant) {
        return {
          allowed: false,
          reason: `no active grant for ${account.name}@${target.name}; request one: ward request ${target.name} --account ${account.name} -d 1h -r HSYSADMIN -j "why"`,
        };
      }
      const rules = await deps.sessionPolicyFor(target);
      const keyOnly = context.authMethod === 'publickey';
      if (rules.requireSecondFactor && keyOnly) {
        return { allowed: false, secondFactor: true, reason: `${target.name} requires your Ward password and one-time code after the key` };
      }
      const purpose = await deps.access.grantPurpose(grant.id);
      const request = (mfaAt: number | undefined): PolicyRequest => ({
        principal: { type: 'User', id: user.id },
        action: 'connect',
        resource: { type: 'Target', id: target.id },
        context: {
          networkZone: deps.networkZoneOf(context.clientAddress),
          deviceTrust: context.authMethod === 'keyboard-interactive' ? 'unknown' : 'known',
          vendorWindow: false,
          onCall: purpose?.onCall ?? false,
          emergency: grant.breakglass,
          ...(purpose ? { purposeOfUse: purpose.reasonCode } : {}),
          ...(purpose?.ticket ? { ticket: purpose.ticket } : {}),
          ...(mfaAt ? { mfaAgeSeconds: Math.max(0, Math.floor((context.time - mfaAt) / 1000)) } : {}),
          time: context.time,
        },
      });
      const asked = request(user.mfaAt);
      let decision = deps.engine.decide(asked);
      let policyIds = decision.determining;
      if (decision.decision === 'deny') {
        const explanation = deps.engine.explain(asked);
        // Break-glass: the emergency grant was itself decided by policy (action breakglass); only a forbid stops it here.
        if (grant.breakglass && explanation.determining.length === 0) {
          decision = { ...decision, decision: 'allow' };
          policyIds = [];
        } else if (keyOnly && deps.engine.decide(request(context.time)).decision === 'allow') {
          return { allowed: false, secondFactor: true, reason: `${policyRefusal(explanation, target.name)} (answer the password and one-time code prompts)`, policyIds: explanation.determining };
        } else {
          return { allowed: false, reason: policyRefusal(explanation, target.name), policyIds: explanation.determining };
        }
      }
      policies.set(context, rules);
      // Every session is recorded, break-glass ones included; the grant id ties the recording to the grant.
      return {
        allowed: true,
        grantId: grant.id,
        policyIds,
        idleTimeoutMs: rules.idleTimeoutMinutes * 60_000,
        commandControl: toCommandControl(rules),
        reasonCode: grant.breakglass ? 'break-glass' : purpose?.reasonCode,
        ticket: purpose?.ticket ?? undefined,
      };
    },
    authorizeChannel(context, request) {
      const rules = policies.get(context);
      if (request.kind === 'shell' || request.kind === 'exec') return { allowed: true };
      if (request.kind === 'sftp') {
        return rules?.fileTransfer === false ? { allowed: false, reason: `file transfer (sftp/scp) is not allowed on ${context.target.name}` } : { allowed: true };
      }
      if (request.kind === 'port-forward' && rules?.portForwarding) return { allowed: true };
      const names = { 'port-forward': 'port forwarding', agent: 'agent forwarding', x11: 'X11 forwarding' } as const;
      return { allowed: false, reason: `${names[request.kind]} is not allowed through Ward${request.kind === 'port-forward' ? ` to ${context.target.name}` : ''}` };
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
  const rules: SessionRules = new WeakMap();
  // Resolving the target already read its rules; a target resolved elsewhere is read once more.
  const sessionPolicyFor = async (target: ResolvedTarget) => rules.get(target) ?? effectiveSessionPolicy(await deps.inventory.getTarget(target.id));
  const gatewayActor = { id: 'ssh-gateway', kind: 'system', name: 'ssh-gateway' } as const;
  const gateway = createSshGateway({
    listen: config.sshListen,
    hostKeyDirectory: join(config.dataDir, 'ssh'),
    recordingDirectory,
    zones,
    users: gatewayUsersFrom(deps.identity, deps.clock),
    targets: {
      ...gatewayTargetsFrom({ inventory: deps.inventory, vault: deps.vault, hostKeys, zones, allZones: configured === null, rules }),
      // "Rotate after use": the account's credentials are due for rotation once a session that used them ends.
      sessionEnded(account, context) {
        if (!account.rotateAfterUse) return;
        deps.vault
          .markForRotation(account.id, 'rotate-after-use', gatewayActor, { sessionId: context.sessionId })
          .catch((error: unknown) => logger.error({ error: String(error), accountId: account.id }, 'rotate-after-use failed'));
      },
    },
    authorizer: gatewayAuthorizerFrom({ access: deps.access, engine: deps.policy, networkZoneOf: (address) => deps.networkZones.zoneOf(address), sessionPolicyFor }),
    audit,
    recordingKeys,
    events: deps.events,
    clock: deps.clock,
    log: (message, fields) => logger.warn({ ...fields, component: 'ssh-gateway' }, message),
  });
  let bound: { host: string; port: number } | null = null;
  let heartbeat: NodeJS.Timeout | undefined;
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
      // A live session is activity on its grant: without it the grant's inactivity revocation would end long sessions.
      heartbeat = setInterval(() => {
        for (const session of gateway.sessions.list()) {
          if (session.grantId) void deps.access.recordActivity(session.grantId).catch(() => undefined);
        }
      }, 30_000);
      heartbeat.unref();
      logger.info({ address: bound }, 'SSH gateway listening');
      return bound;
    },
    address: () => bound,
    async stop() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = undefined;
      if (bound) await gateway.stop();
      bound = null;
    },
  };
}


// Adapters from the domain services to the narrow interfaces other domains declare they need.
// They live in the composition root so no domain imports another domain's service.
import { isWardError } from '../platform/errors.js';
import { normalizeName } from '../platform/text.js';
import type { IdentityService, DirectoryUser } from '../identity/index.js';
import type { InventoryService, Target } from '../inventory/index.js';
import type { AccessDirectory, AccessInventory, AccessPolicy, AccessTarget, AccessUser } from '../access/index.js';
import type { EntitySnapshot, EntitySource, PolicyEngine, PolicyRequest } from '../policy/index.js';
import type { EventBus } from '../platform/events.js';
import type { RevealPolicy } from '../vault/index.js';

async function orNull<T>(work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch (error) {
    if (isWardError(error, 'NOT_FOUND')) return null;
    throw error;
  }
}

/** Identity as the access domain sees it: people, their managers and their current permissions. */
export function accessDirectoryFrom(identity: IdentityService): AccessDirectory {
  const toAccessUser = (user: DirectoryUser & { email?: string | null }): AccessUser => ({
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    email: user.email ?? null,
    managerId: user.managerId,
    status: user.status,
    kind: user.kind,
  });
  return {
    async getUser(id) {
      const user = await orNull(() => identity.getUser(id));
      return user ? { ...toAccessUser({ ...user, groups: [], roles: [], permissions: [] }), email: user.email } : null;
    },
    async hasPermission(userId, permission) {
      const access = await identity.effectiveAccess(userId);
      return access !== null && access.user.status === 'active' && access.user.permissions.includes(permission);
    },
    async usersWithPermission(permission) {
      const directory = await identity.directory();
      const holders = directory.users.filter((u) => u.status === 'active' && u.permissions.includes(permission));
      return Promise.all(holders.map(async (u) => ({ ...toAccessUser(u), email: (await identity.getUser(u.id)).email })));
    },
  };
}

/** The inventory as the access domain sees it: targets with their zone, risk tier and owner. */
export function accessInventoryFrom(inventory: InventoryService): AccessInventory {
  async function zoneName(zoneId: string): Promise<string> {
    return (await orNull(() => inventory.getZone(zoneId)))?.name ?? zoneId;
  }
  async function toAccessTarget(target: Target): Promise<AccessTarget> {
    return {
      id: target.id,
      name: target.name,
      zoneId: target.zoneId,
      zoneName: await zoneName(target.zoneId),
      riskTier: target.riskTier,
      clinicalCritical: target.criticality === 'clinical-critical',
      ownerId: target.ownerUserId,
    };
  }
  return {
    async getTarget(idOrName) {
      const target = (await orNull(() => inventory.getTarget(idOrName))) ?? (await inventory.findTargetByName(idOrName)) ?? null;
      return target ? toAccessTarget(target) : null;
    },
    async getAccount(targetId, idOrName) {
      const byId = await orNull(() => inventory.getAccount(idOrName));
      if (byId) return byId.targetId === targetId ? { id: byId.id, name: byId.username, targetId } : null;
      const wanted = normalizeName(idOrName);
      const accounts = await inventory.listAccounts({ targetId, limit: 500 });
      const found = accounts.find((a) => normalizeName(a.username) === wanted);
      return found ? { id: found.id, name: found.username, targetId } : null;
    },
    async getZone(idOrName) {
      const byId = await orNull(() => inventory.getZone(idOrName));
      if (byId) return { id: byId.id, name: byId.name };
      const wanted = normalizeName(idOrName);
      const zone = (await inventory.listZones({ limit: 500 })).find((z) => normalizeName(z.name) === wanted);
      return zone ? { id: zone.id, name: zone.name } : null;
    },
  };
}

// ---- policy ----

const tierNumber = { low: 1, moderate: 2, high: 3, critical: 4 } as const;

/** Pages through a cursor-paged listing to the end. */
async function all<T extends { id: string }>(page: (cursor: string | undefined) => Promise<T[]>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const batch = await page(cursor);
    items.push(...batch);
    if (batch.length < 500) return items;
    cursor = batch[batch.length - 1]!.id;
  }
}

/**
 * What the policy engine knows: people (roles and transitive groups by name, the stable ids policies use), zones
 * by name, targets and accounts. Policies name roles and zones (`Role::"ehr-dba"`, `Zone::"ehr"`), so names are
 * the Cedar ids; users, targets and accounts keep their UUIDs.
 */
export function policyEntitiesFrom(identity: IdentityService, inventory: InventoryService, events: EventBus): EntitySource {
  return {
    async snapshot(): Promise<EntitySnapshot> {
      const directory = await identity.directory();
      const zones = await all((cursor) => inventory.listZones({ limit: 500, cursor }));
      const zoneName = new Map(zones.map((z) => [z.id, z.name]));
      const targets = await all((cursor) => inventory.listTargets({ limit: 500, cursor }));
      const accounts = await all((cursor) => inventory.listAccounts({ limit: 500, cursor }));
      const groups = new Map<string, string>();
      const roles = new Set<string>();
      for (const user of directory.users) {
        for (const g of user.groups) groups.set(g.id, g.name);
        for (const r of user.roles) roles.add(r.name);
      }
      for (const role of await identity.listRoles()) roles.add(role.name);
      return {
        users: directory.users
          .filter((u) => u.status === 'active')
          .map((u) => ({
            id: u.id,
            username: u.username,
            kind: u.kind,
            department: u.department ?? '',
            roles: u.roles.map((r) => r.name),
            groups: u.groups.map((g) => g.name),
          })),
        groups: [...groups.values()].map((name) => ({ id: name, name })),
        roles: [...roles].map((name) => ({ id: name, name })),
        vendors: [],
        zones: zones.map((z) => ({ id: z.name, name: z.name, kind: zoneKind(z.name) })),
        targets: targets.map((t) => ({
          id: t.id,
          name: t.name,
          zoneId: zoneName.get(t.zoneId) ?? t.zoneId,
          riskTier: tierNumber[t.riskTier],
          criticality: t.criticality === 'clinical-critical' ? 'clinical-critical' : t.criticality === 'high' ? 'business-critical' : 'standard',
          ephi: t.ephiSensitivity !== 'none',
          tags: t.tags,
          ...(t.ownerUserId ? { ownerId: t.ownerUserId } : {}),
        })),
        accounts: accounts.map((a) => ({
          id: a.id,
          targetId: a.targetId,
          username: a.username,
          kind: a.kind === 'service' ? 'service' : 'local',
          privileged: a.privilegeLevel === 'admin' || a.privilegeLevel === 'root',
        })),
      };
    },
    onChange(listener) {
      const offIdentity = events.subscribe('identity.directory.changed', () => listener());
      const offEntities = events.subscribe('policy.entities.changed', () => listener());
      return () => {
        offIdentity();
        offEntities();
      };
    },
  };
}

/** Zone kinds by the names the hospital pack uses; other zones count as enterprise. */
function zoneKind(name: string): string {
  if (/device|iomt/i.test(name)) return 'medical-device';
  if (/ehr|clinical|pacs|lab/i.test(name)) return 'clinical';
  if (/dmz|vendor/i.test(name)) return 'dmz';
  return 'enterprise';
}

/**
 * Access decisions in two layers: the Cedar policy set decides whether the action is permitted at all (roles,
 * zones, separation of duties, after-hours step-up, break-glass entitlement), and the risk-tier rules decide
 * the obligations (how many approvals, ticket, longest window). Both must allow; both sets of policy ids are kept.
 */
export function cedarAccessPolicy(
  engine: PolicyEngine,
  tiers: AccessPolicy,
  clock: { now(): number },
  /**
   * Context Ward cannot observe yet for API calls: the network zone (from configuration), device trust (no device
   * attestation yet, so `unknown`, which the pack only holds against sessions and reveals) and vendor windows
   * (none are defined yet, so vendors are refused by the pack's BAA/window rule).
   */
  defaults: { networkZone: string },
): AccessPolicy {
  return {
    async decide(action, input) {
      const tier = await tiers.decide(action, input);
      if (tier.decision !== 'allow') return tier;
      const { context } = input;
      const request: PolicyRequest = {
        principal: { type: 'User', id: input.principal.id },
        action,
        resource: { type: 'Target', id: input.target.id },
        context: {
          networkZone: defaults.networkZone,
          deviceTrust: 'unknown',
          vendorWindow: false,
          onCall: context.onCall,
          emergency: context.emergency === true,
          ...(context.ticket ? { ticket: context.ticket } : {}),
          ...(context.reasonCode ? { purposeOfUse: context.reasonCode } : {}),
          ...(context.requesterId ? { requesterId: context.requesterId } : {}),
          ...(context.mfaVerifiedAt ? { mfaAgeSeconds: Math.max(0, Math.floor((clock.now() - context.mfaVerifiedAt) / 1000)) } : {}),
          time: context.now,
        },
      };
      const decision = engine.decide(request);
      if (decision.decision !== 'allow') {
        const explanation = engine.explain(request);
        const reasons = explanation.failed.length ? explanation.failed.map((f) => `${f.description} (${f.condition})`) : [explanation.summary];
        return { decision: 'deny', policyIds: explanation.determining.length ? explanation.determining : decision.determining, reasons };
      }
      return { ...tier, policyIds: [...decision.determining, ...tier.policyIds] };
    },
  };
}

/**
 * Reveal decisions: the caller must hold vault.secrets.reveal (the route also demanded a fresh second factor),
 * then the Cedar set decides `reveal` on the account (roles, zones, ticket, MFA age, device, network).
 */
export function cedarRevealPolicy(engine: PolicyEngine, clock: { now(): number }, defaults: { networkZone: string }): RevealPolicy {
  return {
    async decide(request) {
      if (!request.permissions.has('vault.secrets.reveal')) return { allowed: false, reason: 'lacks vault.secrets.reveal' };
      const policyRequest: PolicyRequest = {
        principal: { type: 'User', id: request.actor.id },
        action: 'reveal',
        resource: { type: 'Account', id: request.accountId },
        context: {
          networkZone: defaults.networkZone,
          // Signed in through Ward with a second factor; device attestation is not part of Ward yet.
          deviceTrust: 'known',
          vendorWindow: false,
          onCall: false,
          emergency: false,
          purposeOfUse: request.reasonCode,
          ...(request.ticket ? { ticket: request.ticket } : {}),
          ...(request.mfaVerifiedAt ? { mfaAgeSeconds: Math.max(0, Math.floor((clock.now() - request.mfaVerifiedAt) / 1000)) } : {}),
        },
      };
      const decision = engine.decide(policyRequest);
      if (decision.decision === 'allow') return { allowed: true, reason: 'permitted by policy', policyIds: decision.determining };
      const explanation = engine.explain(policyRequest);
      const why = explanation.failed.length ? explanation.failed.map((f) => `${f.description} (${f.condition})`).join('; ') : explanation.summary;
      return { allowed: false, reason: why, policyIds: explanation.determining };
    },
  };
}

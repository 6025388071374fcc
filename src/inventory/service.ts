// Inventory behaviour: CRUD over zones, targets and accounts, and the all-or-nothing import, every change audited.
// Other domains read accounts and their targets through `accountWithTarget` (the vault, the gateways).
import type { Kysely } from 'kysely';
import type { AuditLog, AuditTarget } from '../audit/types.js';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/database/index.js';
import { isUniqueViolation, withTransaction, type Executor } from '../platform/database/index.js';
import { WardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { normalizeName } from '../platform/text.js';
import { importFailed, parseCsvInventory, parseYamlInventory, type ImportPlan } from './import.js';
import { accountToRow, createInventoryStore, targetToRow, zoneToRow } from './store.js';
import {
  computeRiskTier,
  type Account,
  type AccountInput,
  type Actor,
  type Target,
  type TargetInput,
  type Zone,
  type ZoneInput,
} from './types.js';
import { validateAccount, validateTarget, validateZone } from './validate.js';

export interface InventoryServiceDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  clock: Clock;
  /** Asked before an account is deleted (the vault refuses while it holds secrets for it). */
  accountInUse?: (accountId: string) => Promise<boolean>;
  /** Told after every committed change (the policy engine refreshes its entities). */
  onChange?: () => void;
}

export interface ImportResult {
  zonesCreated: number;
  zonesUpdated: number;
  targetsCreated: number;
  targetsUpdated: number;
  accountsCreated: number;
  accountsUpdated: number;
  dryRun: boolean;
}

function invalid(errors: string[]): WardError {
  return new WardError('VALIDATION_FAILED', errors.join('; '), { errors });
}

export function createInventoryService(deps: InventoryServiceDeps) {
  const store = createInventoryStore(deps.db);
  const { clock } = deps;

  async function audit(action: string, actor: Actor, target: AuditTarget, details?: Record<string, string | number | boolean | null | string[]>) {
    await deps.audit.append({ action, outcome: 'success', actor, target, ...(details ? { details } : {}) });
    deps.onChange?.();
  }

  async function resolveZone(ref: string, x?: Executor): Promise<Zone> {
    const zone = (await store.zoneById(ref, x)) ?? (await store.zoneByName(normalizeName(ref), x));
    if (!zone) throw new WardError('VALIDATION_FAILED', `zone "${ref}" does not exist; create it first or list it in the import`);
    return zone;
  }

  async function requireZone(id: string): Promise<Zone> {
    const zone = await store.zoneById(id);
    if (!zone) throw new WardError('NOT_FOUND', `No zone ${id}.`);
    return zone;
  }
  async function requireTarget(id: string, x?: Executor): Promise<Target> {
    const target = await store.targetById(id, x);
    if (!target) throw new WardError('NOT_FOUND', `No target ${id}.`);
    return target;
  }
  async function requireAccount(id: string, x?: Executor): Promise<Account> {
    const account = await store.accountById(id, x);
    if (!account) throw new WardError('NOT_FOUND', `No account ${id}.`);
    return account;
  }

  function nameTaken(kind: string, name: string) {
    return new WardError('NAME_TAKEN', `A ${kind} named "${name}" already exists.`);
  }

  async function write<T>(kind: string, name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(kind, name);
      throw error;
    }
  }

  function buildTarget(input: TargetInput, zoneId: string, existing?: Target): Target {
    const now = clock.now();
    return {
      id: existing?.id ?? newId(),
      name: input.name.trim(),
      address: input.address.trim(),
      protocols: [...new Set(input.protocols)],
      zoneId,
      ownerUserId: input.ownerUserId ?? null,
      criticality: input.criticality,
      ephiSensitivity: input.ephiSensitivity,
      riskTier: computeRiskTier(input.criticality, input.ephiSensitivity),
      tags: [...new Set(input.tags ?? [])],
      passwordPolicy: input.passwordPolicy ?? null,
      sessionPolicy: input.sessionPolicy ?? null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
  }

  function buildAccount(input: AccountInput, targetId: string, existing?: Account): Account {
    const now = clock.now();
    return {
      id: existing?.id ?? newId(),
      targetId,
      username: input.username,
      kind: input.kind,
      privilegeLevel: input.privilegeLevel ?? existing?.privilegeLevel ?? 'standard',
      ownerUserId: input.ownerUserId === undefined ? (existing?.ownerUserId ?? null) : input.ownerUserId,
      managed: input.managed ?? existing?.managed ?? true,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
  }

  async function applyPlan(plan: ImportPlan, x: Executor): Promise<Omit<ImportResult, 'dryRun'>> {
    const result = { zonesCreated: 0, zonesUpdated: 0, targetsCreated: 0, targetsUpdated: 0, accountsCreated: 0, accountsUpdated: 0 };
    const errors: string[] = [];
    for (const z of plan.zones) {
      const normalized = normalizeName(z.name);
      const existing = await store.zoneByName(normalized, x);
      const now = clock.now();
      const zone: Zone = {
        id: existing?.id ?? newId(),
        name: z.name.trim(),
        description: z.description ?? existing?.description ?? '',
        gatewayIds: z.gatewayIds ?? existing?.gatewayIds ?? [],
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      if (existing) {
        await store.updateZone(zoneToRow(zone, normalized), x);
        result.zonesUpdated++;
      } else {
        await store.insertZone(zoneToRow(zone, normalized), x);
        result.zonesCreated++;
      }
    }
    for (const t of plan.targets) {
      const zone = (await store.zoneById(t.zone, x)) ?? (await store.zoneByName(normalizeName(t.zone), x));
      if (!zone) {
        errors.push(`${t.where}: zone "${t.zone}" does not exist; create it first or list it under zones`);
        continue;
      }
      const normalized = normalizeName(t.name);
      const existing = await store.targetByName(normalized, x);
      const target = buildTarget(t, zone.id, existing);
      if (existing) {
        await store.updateTarget(targetToRow(target, normalized), x);
        result.targetsUpdated++;
      } else {
        await store.insertTarget(targetToRow(target, normalized), x);
        result.targetsCreated++;
      }
      const seen = new Map<string, string>();
      for (const a of t.accounts) {
        const username = normalizeName(a.username);
        const first = seen.get(username);
        if (first) {
          errors.push(`${a.where}: account "${a.username}" repeats ${first} on target "${t.name}"`);
          continue;
        }
        seen.set(username, a.where);
        const existingAccount = await store.accountByUsername(target.id, username, x);
        const account = buildAccount(a, target.id, existingAccount);
        if (existingAccount) {
          await store.updateAccount(accountToRow(account, username), x);
          result.accountsUpdated++;
        } else {
          await store.insertAccount(accountToRow(account, username), x);
          result.accountsCreated++;
        }
      }
    }
    if (errors.length) throw importFailed(errors);
    return result;
  }

  return {
    // zones
    async createZone(input: ZoneInput, actor: Actor): Promise<Zone> {
      const errors = validateZone(input);
      if (errors.length) throw invalid(errors);
      const now = clock.now();
      const zone: Zone = {
        id: newId(),
        name: input.name.trim(),
        description: input.description ?? '',
        gatewayIds: input.gatewayIds ?? [],
        createdAt: now,
        updatedAt: now,
      };
      await write('zone', zone.name, () => store.insertZone(zoneToRow(zone, normalizeName(zone.name))));
      await audit('inventory.zone.created', actor, { type: 'zone', id: zone.id, name: zone.name }, { gatewayIds: zone.gatewayIds });
      return zone;
    },
    getZone: requireZone,
    listZones: (options: { limit: number; cursor?: string | undefined }) => store.listZones(options.limit, options.cursor),
    async updateZone(id: string, patch: Partial<ZoneInput>, actor: Actor): Promise<Zone> {
      const existing = await requireZone(id);
      const merged = { name: patch.name ?? existing.name, description: patch.description ?? existing.description, gatewayIds: patch.gatewayIds ?? existing.gatewayIds };
      const errors = validateZone(merged);
      if (errors.length) throw invalid(errors);
      const zone: Zone = { ...existing, ...merged, name: merged.name.trim(), updatedAt: clock.now() };
      await write('zone', zone.name, () => store.updateZone(zoneToRow(zone, normalizeName(zone.name))));
      await audit('inventory.zone.updated', actor, { type: 'zone', id, name: zone.name }, { fields: Object.keys(patch) });
      return zone;
    },
    async deleteZone(id: string, actor: Actor): Promise<void> {
      const zone = await requireZone(id);
      await withTransaction(deps.db, async (trx) => {
        if ((await store.countTargetsInZone(id, trx)) > 0) throw new WardError('CONFLICT', `Zone "${zone.name}" still has targets; move or delete them first.`);
        await store.deleteZone(id, trx);
      });
      await audit('inventory.zone.deleted', actor, { type: 'zone', id, name: zone.name });
    },

    // targets
    async createTarget(input: TargetInput, actor: Actor): Promise<Target> {
      const errors = validateTarget(input);
      if (errors.length) throw invalid(errors);
      const zone = await resolveZone(input.zone);
      const target = buildTarget(input, zone.id);
      await write('target', target.name, () => store.insertTarget(targetToRow(target, normalizeName(target.name))));
      await audit('inventory.target.created', actor, { type: 'target', id: target.id, name: target.name }, { zone: zone.name, riskTier: target.riskTier });
      return target;
    },
    getTarget: (id: string) => requireTarget(id),
    async findTargetByName(name: string): Promise<Target | undefined> {
      return store.targetByName(normalizeName(name));
    },
    listTargets: (options: { zoneId?: string | undefined; limit: number; cursor?: string | undefined }) => store.listTargets(options),
    async updateTarget(id: string, patch: Partial<TargetInput>, actor: Actor): Promise<Target> {
      const existing = await requireTarget(id);
      const merged: TargetInput = {
        name: patch.name ?? existing.name,
        address: patch.address ?? existing.address,
        protocols: patch.protocols ?? existing.protocols,
        zone: patch.zone ?? existing.zoneId,
        ownerUserId: patch.ownerUserId === undefined ? existing.ownerUserId : patch.ownerUserId,
        criticality: patch.criticality ?? existing.criticality,
        ephiSensitivity: patch.ephiSensitivity ?? existing.ephiSensitivity,
        tags: patch.tags ?? existing.tags,
        passwordPolicy: patch.passwordPolicy === undefined ? existing.passwordPolicy : patch.passwordPolicy,
        sessionPolicy: patch.sessionPolicy === undefined ? existing.sessionPolicy : patch.sessionPolicy,
      };
      const errors = validateTarget(merged);
      if (errors.length) throw invalid(errors);
      const zone = await resolveZone(merged.zone);
      const target = buildTarget(merged, zone.id, existing);
      await write('target', target.name, () => store.updateTarget(targetToRow(target, normalizeName(target.name))));
      await audit('inventory.target.updated', actor, { type: 'target', id, name: target.name }, { fields: Object.keys(patch), riskTier: target.riskTier });
      return target;
    },
    async deleteTarget(id: string, actor: Actor): Promise<void> {
      const target = await requireTarget(id);
      await withTransaction(deps.db, async (trx) => {
        if ((await store.countAccountsOnTarget(id, trx)) > 0) throw new WardError('CONFLICT', `Target "${target.name}" still has accounts; delete them first.`);
        await store.deleteTarget(id, trx);
      });
      await audit('inventory.target.deleted', actor, { type: 'target', id, name: target.name });
    },

    // accounts
    async createAccount(targetId: string, input: AccountInput, actor: Actor): Promise<Account> {
      const errors = validateAccount(input);
      if (errors.length) throw invalid(errors);
      const target = await requireTarget(targetId);
      const account = buildAccount(input, target.id);
      await write('account', `${input.username}@${target.name}`, () => store.insertAccount(accountToRow(account, normalizeName(account.username))));
      await audit('inventory.account.created', actor, { type: 'account', id: account.id, system: target.name, account: account.username }, { kind: account.kind, privilegeLevel: account.privilegeLevel, managed: account.managed });
      return account;
    },
    getAccount: (id: string) => requireAccount(id),
    listAccounts: (options: { targetId?: string | undefined; limit: number; cursor?: string | undefined }) => store.listAccounts(options),
    async updateAccount(id: string, patch: Partial<AccountInput>, actor: Actor): Promise<Account> {
      const existing = await requireAccount(id);
      const merged: AccountInput = {
        username: patch.username ?? existing.username,
        kind: patch.kind ?? existing.kind,
        privilegeLevel: patch.privilegeLevel ?? existing.privilegeLevel,
        ownerUserId: patch.ownerUserId === undefined ? existing.ownerUserId : patch.ownerUserId,
        managed: patch.managed ?? existing.managed,
      };
      const errors = validateAccount(merged);
      if (errors.length) throw invalid(errors);
      const target = await requireTarget(existing.targetId);
      const account = buildAccount(merged, existing.targetId, existing);
      await write('account', `${merged.username}@${target.name}`, () => store.updateAccount(accountToRow(account, normalizeName(account.username))));
      await audit('inventory.account.updated', actor, { type: 'account', id, system: target.name, account: account.username }, { fields: Object.keys(patch) });
      return account;
    },
    async deleteAccount(id: string, actor: Actor): Promise<void> {
      const account = await requireAccount(id);
      const target = await requireTarget(account.targetId);
      if (deps.accountInUse && (await deps.accountInUse(id))) {
        throw new WardError('CONFLICT', `Account "${account.username}" on "${target.name}" still has secrets in the vault; delete them first.`);
      }
      await store.deleteAccount(id);
      await audit('inventory.account.deleted', actor, { type: 'account', id, system: target.name, account: account.username });
    },
    /** The account and the target it lives on (vault, gateways). */
    async accountWithTarget(accountId: string): Promise<{ account: Account; target: Target }> {
      const found = await store.accountWithTarget(accountId);
      if (!found) throw new WardError('NOT_FOUND', `No account ${accountId}.`);
      return found;
    },

    /** Loads CSV or YAML in one transaction: every row applies or none does. */
    async importInventory(input: { format: 'csv' | 'yaml'; content: string; dryRun?: boolean | undefined }, actor: Actor): Promise<ImportResult> {
      const plan = input.format === 'csv' ? parseCsvInventory(input.content) : parseYamlInventory(input.content);
      const dryRun = input.dryRun === true;
      const DRY_RUN = Symbol('dry-run');
      let counts: Omit<ImportResult, 'dryRun'> | undefined;
      try {
        await deps.db.transaction().execute(async (trx) => {
          counts = await applyPlan(plan, trx);
          // A dry run applies everything to find every conflict, then rolls back.
          if (dryRun) throw DRY_RUN;
        });
      } catch (error) {
        if (error !== DRY_RUN) {
          if (isUniqueViolation(error)) throw importFailed(['two rows name the same target or account after normalisation']);
          throw error;
        }
      }
      const result = { ...counts!, dryRun };
      if (!dryRun) {
        await audit('inventory.imported', actor, { type: 'inventory' }, { format: input.format, ...counts! });
      }
      return result;
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;

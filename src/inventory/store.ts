// Kysely queries for zones, targets and accounts; rows are mapped to domain objects here and nowhere else.
import type { Selectable } from 'kysely';
import type { Executor } from '../platform/database/index.js';
import type { InventoryAccountsTable, InventoryTargetsTable, InventoryZonesTable } from './tables.js';
import './tables.js';
// Generic helper; belongs in platform/database once the lead moves it there.
import { preparedQuery } from '../vault/prepared.js';
import type { Account, AccountKind, Criticality, EphiSensitivity, PasswordPolicy, PrivilegeLevel, SessionPolicy, Protocol, RiskTier, Target, Zone } from './types.js';

export function zoneFromRow(row: Selectable<InventoryZonesTable>): Zone {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    gatewayIds: JSON.parse(row.gateway_ids) as string[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function targetFromRow(row: Selectable<InventoryTargetsTable>): Target {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    protocols: JSON.parse(row.protocols) as Protocol[],
    zoneId: row.zone_id,
    ownerUserId: row.owner_user_id,
    criticality: row.criticality as Criticality,
    ephiSensitivity: row.ephi_sensitivity as EphiSensitivity,
    riskTier: row.risk_tier as RiskTier,
    tags: JSON.parse(row.tags) as string[],
    passwordPolicy: row.password_policy ? (JSON.parse(row.password_policy) as PasswordPolicy) : null,
    sessionPolicy: row.session_policy ? (JSON.parse(row.session_policy) as Partial<SessionPolicy>) : null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function accountFromRow(row: Selectable<InventoryAccountsTable>): Account {
  return {
    id: row.id,
    targetId: row.target_id,
    username: row.username,
    kind: row.kind as AccountKind,
    privilegeLevel: row.privilege_level as PrivilegeLevel,
    ownerUserId: row.owner_user_id,
    managed: Number(row.managed) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function zoneToRow(zone: Zone, nameNormalized: string): InventoryZonesTable {
  return {
    id: zone.id,
    name: zone.name,
    name_normalized: nameNormalized,
    description: zone.description,
    gateway_ids: JSON.stringify(zone.gatewayIds),
    created_at: zone.createdAt,
    updated_at: zone.updatedAt,
  };
}

export function targetToRow(target: Target, nameNormalized: string): InventoryTargetsTable {
  return {
    id: target.id,
    name: target.name,
    name_normalized: nameNormalized,
    address: target.address,
    protocols: JSON.stringify(target.protocols),
    zone_id: target.zoneId,
    owner_user_id: target.ownerUserId,
    criticality: target.criticality,
    ephi_sensitivity: target.ephiSensitivity,
    risk_tier: target.riskTier,
    tags: JSON.stringify(target.tags),
    password_policy: target.passwordPolicy ? JSON.stringify(target.passwordPolicy) : null,
    session_policy: target.sessionPolicy ? JSON.stringify(target.sessionPolicy) : null,
    created_at: target.createdAt,
    updated_at: target.updatedAt,
  };
}

export function accountToRow(account: Account, usernameNormalized: string): InventoryAccountsTable {
  return {
    id: account.id,
    target_id: account.targetId,
    username: account.username,
    username_normalized: usernameNormalized,
    kind: account.kind,
    privilege_level: account.privilegeLevel,
    owner_user_id: account.ownerUserId,
    managed: account.managed ? 1 : 0,
    created_at: account.createdAt,
    updated_at: account.updatedAt,
  };
}

export function createInventoryStore(db: Executor) {
  const on = (executor?: Executor) => executor ?? db;
  const accountWithTargetQuery = preparedQuery(
    db,
    (id: string) =>
      db
        .selectFrom('inventory_accounts as a')
        .innerJoin('inventory_targets as t', 't.id', 'a.target_id')
        .selectAll('t')
        .select([
          'a.id as a_id',
          'a.target_id as a_target_id',
          'a.username as a_username',
          'a.username_normalized as a_username_normalized',
          'a.kind as a_kind',
          'a.privilege_level as a_privilege_level',
          'a.owner_user_id as a_owner_user_id',
          'a.managed as a_managed',
          'a.created_at as a_created_at',
          'a.updated_at as a_updated_at',
        ])
        .where('a.id', '=', id),
    ['\u0000account'],
  );
  return {
    db,
    async zoneById(id: string, x?: Executor) {
      const row = await on(x).selectFrom('inventory_zones').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? zoneFromRow(row) : undefined;
    },
    async zoneByName(normalized: string, x?: Executor) {
      const row = await on(x).selectFrom('inventory_zones').selectAll().where('name_normalized', '=', normalized).executeTakeFirst();
      return row ? zoneFromRow(row) : undefined;
    },
    async listZones(limit: number, cursor?: string) {
      let q = db.selectFrom('inventory_zones').selectAll().orderBy('id').limit(limit);
      if (cursor) q = q.where('id', '>', cursor);
      return (await q.execute()).map(zoneFromRow);
    },
    async insertZone(row: InventoryZonesTable, x?: Executor) {
      await on(x).insertInto('inventory_zones').values(row).execute();
    },
    async updateZone(row: InventoryZonesTable, x?: Executor) {
      await on(x).updateTable('inventory_zones').set(row).where('id', '=', row.id).execute();
    },
    async deleteZone(id: string, x?: Executor) {
      await on(x).deleteFrom('inventory_zones').where('id', '=', id).execute();
    },
    async countTargetsInZone(zoneId: string, x?: Executor) {
      const r = await on(x)
        .selectFrom('inventory_targets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('zone_id', '=', zoneId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async targetById(id: string, x?: Executor) {
      const row = await on(x).selectFrom('inventory_targets').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? targetFromRow(row) : undefined;
    },
    async targetByName(normalized: string, x?: Executor) {
      const row = await on(x).selectFrom('inventory_targets').selectAll().where('name_normalized', '=', normalized).executeTakeFirst();
      return row ? targetFromRow(row) : undefined;
    },
    async listTargets(filter: { zoneId?: string | undefined; limit: number; cursor?: string | undefined }) {
      let q = db.selectFrom('inventory_targets').selectAll().orderBy('id').limit(filter.limit);
      if (filter.cursor) q = q.where('id', '>', filter.cursor);
      if (filter.zoneId) q = q.where('zone_id', '=', filter.zoneId);
      return (await q.execute()).map(targetFromRow);
    },
    async insertTarget(row: InventoryTargetsTable, x?: Executor) {
      await on(x).insertInto('inventory_targets').values(row).execute();
    },
    async updateTarget(row: InventoryTargetsTable, x?: Executor) {
      await on(x).updateTable('inventory_targets').set(row).where('id', '=', row.id).execute();
    },
    async deleteTarget(id: string, x?: Executor) {
      await on(x).deleteFrom('inventory_targets').where('id', '=', id).execute();
    },
    async countAccountsOnTarget(targetId: string, x?: Executor) {
      const r = await on(x)
        .selectFrom('inventory_accounts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('target_id', '=', targetId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async accountById(id: string, x?: Executor) {
      const row = await on(x).selectFrom('inventory_accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? accountFromRow(row) : undefined;
    },
    async accountByUsername(targetId: string, normalized: string, x?: Executor) {
      const row = await on(x)
        .selectFrom('inventory_accounts')
        .selectAll()
        .where('target_id', '=', targetId)
        .where('username_normalized', '=', normalized)
        .executeTakeFirst();
      return row ? accountFromRow(row) : undefined;
    },
    /** The account and its target in one round trip (the vault's hot path). */
    async accountWithTarget(id: string, x?: Executor) {
      const row = await accountWithTargetQuery(on(x), id);
      if (!row) return undefined;
      const account = accountFromRow({
        id: row.a_id,
        target_id: row.a_target_id,
        username: row.a_username,
        username_normalized: row.a_username_normalized,
        kind: row.a_kind,
        privilege_level: row.a_privilege_level,
        owner_user_id: row.a_owner_user_id,
        managed: row.a_managed,
        created_at: row.a_created_at,
        updated_at: row.a_updated_at,
      });
      return { account, target: targetFromRow(row) };
    },
    async listAccounts(filter: { targetId?: string | undefined; limit: number; cursor?: string | undefined }) {
      let q = db.selectFrom('inventory_accounts').selectAll().orderBy('id').limit(filter.limit);
      if (filter.cursor) q = q.where('id', '>', filter.cursor);
      if (filter.targetId) q = q.where('target_id', '=', filter.targetId);
      return (await q.execute()).map(accountFromRow);
    },
    async insertAccount(row: InventoryAccountsTable, x?: Executor) {
      await on(x).insertInto('inventory_accounts').values(row).execute();
    },
    async updateAccount(row: InventoryAccountsTable, x?: Executor) {
      await on(x).updateTable('inventory_accounts').set(row).where('id', '=', row.id).execute();
    },
    async deleteAccount(id: string, x?: Executor) {
      await on(x).deleteFrom('inventory_accounts').where('id', '=', id).execute();
    },
  };
}

export type InventoryStore = ReturnType<typeof createInventoryStore>;

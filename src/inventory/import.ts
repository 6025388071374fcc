// Parses a hospital's first inventory load from CSV (one row per account) or YAML (zones, targets, nested accounts)
// into one plan, with every problem reported by row or path; nothing is written here.
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { WardError } from '../platform/errors.js';
import type { AccountInput, PasswordPolicy, SessionPolicy, TargetInput, ZoneInput } from './types.js';
import { defaultPasswordPolicy } from './types.js';
import { validateAccount, validateTarget, validateZone } from './validate.js';

export interface ImportPlan {
  zones: Array<ZoneInput & { where: string }>;
  targets: Array<TargetInput & { where: string; accounts: Array<AccountInput & { where: string }> }>;
}

export const csvColumns = [
  'zone',
  'target',
  'address',
  'protocols',
  'criticality',
  'ephi',
  'owner',
  'tags',
  'username',
  'kind',
  'privilege',
  'account_owner',
  'managed',
] as const;

const list = (value: string | undefined) =>
  (value ?? '')
    .split(/[;|]/)
    .map((s) => s.trim())
    .filter(Boolean);

function bool(value: string | undefined, where: string, errors: string[]): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (['true', 'yes', '1', 'y'].includes(v)) return true;
  if (['false', 'no', '0', 'n'].includes(v)) return false;
  errors.push(`${where}: managed must be true or false (got "${value}")`);
  return undefined;
}

export function parseCsvInventory(content: string): ImportPlan {
  let records: Record<string, string>[];
  try {
    records = parseCsv(content, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new WardError('VALIDATION_FAILED', `the CSV does not parse: ${(error as Error).message}`);
  }
  const errors: string[] = [];
  const byTarget = new Map<string, ImportPlan['targets'][number]>();
  records.forEach((record, index) => {
    const where = `row ${index + 2}`; // the header is row 1
    const unknown = Object.keys(record).filter((k) => !(csvColumns as readonly string[]).includes(k));
    if (unknown.length) errors.push(`${where}: unknown column(s) ${unknown.join(', ')}`);
    const name = record.target ?? '';
    const target: TargetInput = {
      name,
      address: record.address ?? '',
      protocols: list(record.protocols) as TargetInput['protocols'],
      zone: record.zone ?? '',
      ownerUserId: record.owner || null,
      criticality: record.criticality as TargetInput['criticality'],
      ephiSensitivity: record.ephi as TargetInput['ephiSensitivity'],
      tags: list(record.tags),
    };
    const key = name.trim().toLowerCase();
    let entry = byTarget.get(key);
    if (!entry) {
      for (const e of validateTarget(target)) errors.push(`${where}: ${e}`);
      entry = { ...target, where, accounts: [] };
      byTarget.set(key, entry);
    } else if (entry.address !== target.address || entry.zone !== target.zone || entry.criticality !== target.criticality || entry.ephiSensitivity !== target.ephiSensitivity) {
      errors.push(`${where}: target "${name}" repeats with different address, zone, criticality or ephi than ${entry.where}`);
    }
    if (record.username) {
      const account: AccountInput = {
        username: record.username,
        kind: record.kind as AccountInput['kind'],
        privilegeLevel: (record.privilege || undefined) as AccountInput['privilegeLevel'],
        ownerUserId: record.account_owner || null,
        managed: bool(record.managed, where, errors),
      };
      for (const e of validateAccount(account)) errors.push(`${where}: ${e}`);
      entry.accounts.push({ ...account, where });
    }
  });
  if (errors.length) throw importFailed(errors);
  return { zones: [], targets: [...byTarget.values()] };
}

function importFailed(errors: string[]): WardError {
  const shown = errors.slice(0, 50);
  return new WardError(
    'VALIDATION_FAILED',
    `import refused, nothing was written (${errors.length} problem${errors.length === 1 ? '' : 's'}): ${shown.join('; ')}`,
    { errors: shown },
  );
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function parseYamlInventory(content: string): ImportPlan {
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (error) {
    throw new WardError('VALIDATION_FAILED', `the YAML does not parse: ${(error as Error).message}`);
  }
  const root = asRecord(doc);
  const errors: string[] = [];
  const unknownRoot = Object.keys(root).filter((k) => k !== 'zones' && k !== 'targets');
  if (unknownRoot.length) errors.push(`unknown top-level key(s) ${unknownRoot.join(', ')} (expected zones, targets)`);
  const zones: ImportPlan['zones'] = [];
  const rawZones = root.zones ?? [];
  if (!Array.isArray(rawZones)) errors.push('zones must be a list');
  else
    rawZones.forEach((raw, i) => {
      const z = asRecord(raw);
      const where = `zones[${i}]`;
      const zone: ZoneInput = {
        name: z.name as string,
        description: (z.description as string | undefined) ?? '',
        gatewayIds: (z.gateways ?? z.gatewayIds ?? []) as string[],
      };
      for (const e of validateZone(zone)) errors.push(`${where}: ${e}`);
      zones.push({ ...zone, where });
    });
  const targets: ImportPlan['targets'] = [];
  const rawTargets = root.targets ?? [];
  if (!Array.isArray(rawTargets)) errors.push('targets must be a list');
  else
    rawTargets.forEach((raw, i) => {
      const t = asRecord(raw);
      const where = `targets[${i}]`;
      const policy = t.passwordPolicy === undefined ? undefined : { ...defaultPasswordPolicy, ...asRecord(t.passwordPolicy) } as PasswordPolicy;
      const target: TargetInput = {
        name: t.name as string,
        address: t.address as string,
        protocols: (t.protocols ?? []) as TargetInput['protocols'],
        zone: t.zone as string,
        ownerUserId: (t.owner ?? t.ownerUserId ?? null) as string | null,
        criticality: t.criticality as TargetInput['criticality'],
        ephiSensitivity: (t.ephi ?? t.ephiSensitivity) as TargetInput['ephiSensitivity'],
        tags: (t.tags ?? []) as string[],
        passwordPolicy: policy,
        sessionPolicy: t.sessionPolicy === undefined ? undefined : (asRecord(t.sessionPolicy) as Partial<SessionPolicy>),
      };
      for (const e of validateTarget(target)) errors.push(`${where}: ${e}`);
      const accounts: ImportPlan['targets'][number]['accounts'] = [];
      const rawAccounts = t.accounts ?? [];
      if (!Array.isArray(rawAccounts)) errors.push(`${where}.accounts must be a list`);
      else
        rawAccounts.forEach((rawAccount, j) => {
          const a = asRecord(rawAccount);
          const accountWhere = `${where}.accounts[${j}]`;
          const account: AccountInput = {
            username: a.username as string,
            kind: a.kind as AccountInput['kind'],
            privilegeLevel: (a.privilege ?? a.privilegeLevel) as AccountInput['privilegeLevel'],
            ownerUserId: (a.owner ?? a.ownerUserId ?? null) as string | null,
            managed: a.managed as boolean | undefined,
          };
          for (const e of validateAccount(account)) errors.push(`${accountWhere}: ${e}`);
          accounts.push({ ...account, where: accountWhere });
        });
      targets.push({ ...target, where, accounts });
    });
  if (errors.length) throw importFailed(errors);
  return { zones, targets };
}

export { importFailed };

// The in-memory entity index built once per snapshot: runtime values for the compiled evaluator (interned entity
// uids, transitive ancestors) and Cedar JSON for the reference evaluator, with the request-sized slice it needs.
import type { EntityJson } from './cedar.js';
import type { CedarRequest, CedarValue, EntitySnapshot } from './types.js';
import { wardActions } from './types.js';
import { actionParents } from './schema.js';

/** An entity uid at runtime; interned per store so equality is cheap and key comparison is exact. */
export class EntityUid {
  readonly key: string;
  constructor(
    readonly type: string,
    readonly id: string,
  ) {
    this.key = `${type}::${JSON.stringify(id)}`;
  }
  toString(): string {
    return this.key;
  }
}

export type RuntimeValue = boolean | number | string | EntityUid | RuntimeValue[] | RuntimeRecord;
export interface RuntimeRecord {
  [key: string]: RuntimeValue;
}

export interface StoredEntity {
  uid: EntityUid;
  attrs: RuntimeRecord;
  /** Keys of every ancestor, transitively. */
  ancestors: Set<string>;
  json: EntityJson;
  /** Keys of entities referenced from attributes (to include in a slice). */
  references: string[];
}

export interface EntityStore {
  get(key: string): StoredEntity | undefined;
  uid(type: string, id: string): EntityUid;
  has(type: string, id: string): boolean;
  readonly size: number;
  /** Entities the reference evaluator needs for this request (closure over ancestors and attribute references). */
  slice(request: CedarRequest, extraKeys?: readonly string[]): EntityJson[];
  /** Converts Cedar JSON (context, literals) into runtime values. */
  toRuntime(value: CedarValue): RuntimeValue;
}

const keyOf = (type: string, id: string) => `${type}::${JSON.stringify(id)}`;
const ref = (type: string, id: string) => ({ __entity: { type, id } });

export interface EntityDraft {
  type: string;
  id: string;
  attrs: Record<string, CedarValue>;
  parents: { type: string; id: string }[];
}

export function buildEntityStore(snapshot: EntitySnapshot): EntityStore {
  const drafts: EntityDraft[] = [];
  for (const g of snapshot.groups) {
    drafts.push({ type: 'Group', id: g.id, attrs: { name: g.name }, parents: (g.parents ?? []).map((id) => ({ type: 'Group', id })) });
  }
  for (const r of snapshot.roles) drafts.push({ type: 'Role', id: r.id, attrs: { name: r.name }, parents: [] });
  for (const v of snapshot.vendors) {
    drafts.push({ type: 'Vendor', id: v.id, attrs: { name: v.name, baaExpiresAt: Math.floor(v.baaExpiresAt / 1000) }, parents: [] });
  }
  for (const u of snapshot.users) {
    const attrs: Record<string, CedarValue> = { username: u.username, kind: u.kind, department: u.department };
    if (u.vendorId) attrs.vendor = ref('Vendor', u.vendorId);
    drafts.push({
      type: 'User',
      id: u.id,
      attrs,
      parents: [...u.groups.map((id) => ({ type: 'Group', id })), ...u.roles.map((id) => ({ type: 'Role', id }))],
    });
  }
  for (const z of snapshot.zones) drafts.push({ type: 'Zone', id: z.id, attrs: { name: z.name, kind: z.kind }, parents: [] });
  for (const t of snapshot.targets) {
    const attrs: Record<string, CedarValue> = {
      name: t.name,
      zone: ref('Zone', t.zoneId),
      riskTier: t.riskTier,
      criticality: t.criticality,
      ephi: t.ephi,
      tags: [...t.tags],
    };
    if (t.ownerId) attrs.owner = ref('User', t.ownerId);
    drafts.push({ type: 'Target', id: t.id, attrs, parents: [{ type: 'Zone', id: t.zoneId }] });
  }
  for (const a of snapshot.accounts) {
    drafts.push({
      type: 'Account',
      id: a.id,
      attrs: { username: a.username, target: ref('Target', a.targetId), kind: a.kind, privileged: a.privileged },
      parents: [{ type: 'Target', id: a.targetId }],
    });
  }
  drafts.push({ type: 'System', id: 'ward', attrs: {}, parents: [] });
  return createEntityStore(drafts);
}

/** Builds a store from raw entity drafts (also used by the differential test with generated entities). */
export function createEntityStore(entityDrafts: EntityDraft[]): EntityStore {
  // Actions are entities too: `action in Action::"session"` follows the schema's action groups.
  const actionIds = new Set([...wardActions, ...Object.values(actionParents).flat()]);
  const drafts = [
    ...entityDrafts,
    ...[...actionIds].map((id) => ({
      type: 'Action',
      id,
      attrs: {},
      parents: (actionParents[id] ?? []).map((parent) => ({ type: 'Action', id: parent })),
    })),
  ];
  const uids = new Map<string, EntityUid>();
  // Two-level lookup (type, then id) so the hot path never builds key strings.
  const byType = new Map<string, Map<string, EntityUid>>();
  const uid = (type: string, id: string): EntityUid => {
    let ids = byType.get(type);
    if (!ids) byType.set(type, (ids = new Map()));
    let value = ids.get(id);
    if (!value) {
      value = new EntityUid(type, id);
      ids.set(id, value);
      uids.set(value.key, value);
    }
    return value;
  };
  // Plain loops on these hot paths: V8 in Node 20 can crash deoptimising frames inside Array callbacks.
  const toRuntime = (value: CedarValue): RuntimeValue => {
    if (Array.isArray(value)) {
      const out: RuntimeValue[] = [];
      for (let i = 0; i < value.length; i++) out.push(toRuntime(value[i]!));
      return out;
    }
    if (typeof value === 'object' && value !== null) {
      if ('__entity' in value && typeof value.__entity === 'object') {
        const e = value.__entity as { type: string; id: string };
        return uid(e.type, e.id);
      }
      const record: RuntimeRecord = {};
      for (const k in value) record[k] = toRuntime((value as Record<string, CedarValue>)[k]!);
      return record;
    }
    return value;
  };
  const collectRefs = (value: CedarValue, into: string[]) => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) collectRefs(value[i]!, into);
    } else if (typeof value === 'object' && value !== null) {
      if ('__entity' in value && typeof value.__entity === 'object') {
        const e = value.__entity as { type: string; id: string };
        into.push(keyOf(e.type, e.id));
      } else for (const k in value) collectRefs((value as Record<string, CedarValue>)[k]!, into);
    }
  };

  const byKey = new Map<string, StoredEntity>();
  const parentsByKey = new Map<string, string[]>();
  for (const d of drafts) {
    const key = keyOf(d.type, d.id);
    const references: string[] = [];
    collectRefs(d.attrs as CedarValue, references);
    byKey.set(key, {
      uid: uid(d.type, d.id),
      attrs: toRuntime(d.attrs as CedarValue) as RuntimeRecord,
      ancestors: new Set(),
      json: { uid: { type: d.type, id: d.id }, attrs: d.attrs as EntityJson['attrs'], parents: d.parents },
      references,
    });
    parentsByKey.set(key, d.parents.map((p) => uid(p.type, p.id).key));
  }
  // Transitive closure with memoisation; cycles cannot occur in Cedar's hierarchy but are tolerated.
  const resolving = new Set<string>();
  const closure = (key: string): Set<string> => {
    const entity = byKey.get(key);
    if (entity && entity.ancestors.size > 0) return entity.ancestors;
    const result = new Set<string>();
    if (resolving.has(key)) return result;
    resolving.add(key);
    for (const parent of parentsByKey.get(key) ?? []) {
      result.add(parent);
      for (const a of closure(parent)) result.add(a);
    }
    resolving.delete(key);
    if (entity) entity.ancestors = result;
    return result;
  };
  for (const key of byKey.keys()) closure(key);
  // The reference evaluator gets each entity with its ancestors flattened into `parents`: Cedar then needs no
  // ancestor entities in a slice, which keeps the (costly) per-call entity parsing small.
  for (const entity of byKey.values()) {
    entity.json = {
      ...entity.json,
      parents: [...entity.ancestors].map((key) => {
        const uid = uids.get(key)!;
        return { type: uid.type, id: uid.id };
      }),
    };
  }

  return {
    get: (key) => byKey.get(key),
    uid,
    has: (type, id) => byKey.has(keyOf(type, id)),
    get size() {
      return byKey.size;
    },
    toRuntime,
    slice(request, extraKeys = []) {
      const out: EntityJson[] = [];
      const seen = new Set<string>();
      const visit = (key: string, depth: number) => {
        if (seen.has(key)) return;
        seen.add(key);
        const entity = byKey.get(key);
        if (!entity) return;
        out.push(entity.json);
        if (depth < 4) for (const r of entity.references) visit(r, depth + 1);
      };
      visit(keyOf('Action', request.action), 0);
      visit(keyOf(request.principal.type, request.principal.id), 0);
      visit(keyOf(request.resource.type, request.resource.id), 0);
      const contextRefs: string[] = [];
      collectRefs(request.context as CedarValue, contextRefs);
      for (const key of contextRefs) visit(key, 0);
      for (const key of extraKeys) visit(key, 0);
      return out;
    },
  };
}

export { keyOf as entityKey };

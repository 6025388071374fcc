// Seeded generators of worlds (users, groups, targets), Cedar policies and requests, shared by the differential
// test (compiled vs cedar-wasm) and the benchmark. Policies deliberately include error paths and constructs the
// compiled evaluator hands to cedar-wasm, so both halves of the contract are exercised.
import type { CedarRequest, CedarValue, EntitySnapshot, PolicyTarget, PolicyUser } from './types.js';
import { wardActions } from './types.js';

export type Random = () => number;

/** mulberry32: small, fast, good enough for test data; the seed makes any failure reproducible. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

export const packRoles = [
  'ehr-dba',
  'sysadmin',
  'network-admin',
  'clinical-engineer',
  'security-analyst',
  'privacy-officer',
  'auditor',
  'vendor-technician',
  'ward-admin',
  'approver',
];
export const packZones = [
  { id: 'enterprise', kind: 'enterprise' },
  { id: 'ehr', kind: 'clinical' },
  { id: 'clinical-apps', kind: 'clinical' },
  { id: 'network', kind: 'enterprise' },
  { id: 'medical-devices', kind: 'medical-device' },
  { id: 'security', kind: 'enterprise' },
];
const tags = ['linux', 'windows', 'ehr-database', 'pacs', 'infusion-pump', 'router', 'siem', 'lab'];
const departments = ['it', 'clinical-engineering', 'security', 'privacy', 'compliance', 'radiology', 'vendor'];

export interface WorldShape {
  users: number;
  groups: number;
  targets: number;
  accountsPerTarget?: number;
  /** Reference epoch ms for BAA expiries. */
  now: number;
}

export function generateWorld(random: Random, shape: WorldShape): EntitySnapshot {
  const groups = Array.from({ length: shape.groups }, (_, i) => ({
    id: `g${i}`,
    name: `group ${i}`,
    // Nest a few groups under earlier ones so transitive membership is exercised.
    parents: i > 0 && random() < 0.3 ? [`g${int(random, i)}`] : [],
  }));
  const parentOf = new Map(groups.map((g) => [g.id, g.parents]));
  const closure = (id: string): string[] => [id, ...(parentOf.get(id) ?? []).flatMap(closure)];
  const vendors = [
    { id: 'acme-imaging', name: 'Acme Imaging', baaExpiresAt: shape.now + 365 * 86_400_000 },
    { id: 'pumpco', name: 'PumpCo', baaExpiresAt: shape.now - 86_400_000 },
    { id: 'netfix', name: 'NetFix', baaExpiresAt: shape.now + 30 * 86_400_000 },
  ];
  const users: PolicyUser[] = Array.from({ length: shape.users }, (_, i) => {
    const kind = random() < 0.08 ? 'vendor' : random() < 0.05 ? 'service' : 'human';
    const direct = Array.from({ length: 1 + int(random, 3) }, () => `g${int(random, shape.groups)}`);
    const roles =
      kind === 'vendor'
        ? ['vendor-technician']
        : Array.from({ length: int(random, 3) }, () => pick(random, packRoles.filter((r) => r !== 'vendor-technician')));
    return {
      id: `u${i}`,
      username: `user${i}`,
      kind,
      department: kind === 'vendor' ? 'vendor' : pick(random, departments),
      roles: [...new Set(roles)],
      groups: [...new Set(direct.flatMap(closure))],
      ...(kind === 'vendor' ? { vendorId: pick(random, vendors).id } : {}),
    };
  });
  const targets: PolicyTarget[] = Array.from({ length: shape.targets }, (_, i) => ({
    id: `t${i}`,
    name: `target-${i}`,
    zoneId: pick(random, packZones).id,
    riskTier: 1 + int(random, 4),
    criticality: pick(random, ['clinical-critical', 'business-critical', 'standard']),
    ephi: random() < 0.4,
    tags: [...new Set([pick(random, tags), pick(random, tags)])],
    ...(random() < 0.5 ? { ownerId: `u${int(random, shape.users)}` } : {}),
  }));
  const accounts = targets.flatMap((t) =>
    Array.from({ length: shape.accountsPerTarget ?? 1 }, (_, j) => ({
      id: `${t.id}-a${j}`,
      targetId: t.id,
      username: j === 0 ? 'root' : `svc${j}`,
      kind: pick(random, ['local', 'domain', 'database', 'service']),
      privileged: random() < 0.5,
    })),
  );
  return {
    users,
    groups,
    roles: packRoles.map((id) => ({ id, name: id })),
    vendors,
    zones: packZones.map((z) => ({ id: z.id, name: z.id, kind: z.kind })),
    targets,
    accounts,
  };
}

/** Random condition atoms over Ward's schema; some are ill-typed on purpose (they error for some requests). */
function atom(random: Random, world: EntitySnapshot, withFallbacks: boolean): string {
  const g = () => pick(random, world.groups).id;
  const r = () => pick(random, world.roles).id;
  const z = () => pick(random, world.zones).id;
  const t = () => pick(random, world.targets).id;
  const u = () => pick(random, world.users).id;
  const n = (max: number) => int(random, max);
  const atoms: (() => string)[] = [
    () => `principal in Group::"${g()}"`,
    () => `principal in Role::"${r()}"`,
    () => `resource in Zone::"${z()}"`,
    () => `context.mfaAgeSeconds <= ${n(1200)}`,
    () => `context.hour >= ${n(24)}`,
    () => `context.riskTier > ${n(5)}`,
    () => `context.afterHours`,
    () => `context.onCall`,
    () => `context.emergency`,
    () => `context.vendorWindow`,
    () => `context.networkZone == "${pick(random, ['vpn', 'enterprise', 'internet', 'clinical'])}"`,
    () => `context.deviceTrust != "unknown"`,
    () => `context has ticket`,
    () => `context has ticket && context.ticket like "INC-*"`,
    () => `context.shift like "*${pick(random, ['ay', 'ight', 'ing', ''])}"`,
    () => `principal.department == "${pick(random, departments)}"`,
    () => `principal.kind == "vendor"`,
    () => `principal has vendor && principal.vendor.baaExpiresAt > context.time`,
    () => `principal.vendor.baaExpiresAt > context.time`,
    () => `resource is Target && resource.riskTier >= ${1 + n(4)}`,
    () => `resource is Target && resource.tags.contains("${pick(random, tags)}")`,
    () => `resource is Target && resource.tags.containsAny(["${pick(random, tags)}", "${pick(random, tags)}"])`,
    () => `resource is Target && resource.tags.containsAll(["${pick(random, tags)}"])`,
    () => `resource is Account && resource.privileged`,
    () => `resource.ephi`,
    () => `resource is Target && resource has owner && resource.owner == principal`,
    () => `principal == resource.owner`,
    () => `resource.target.zone == Zone::"${z()}"`,
    () => `context.requester == principal`,
    () => `context.requester in Role::"${r()}"`,
    () => `[${n(24)}, ${n(24)}, ${n(24)}].contains(context.hour)`,
    () => `context.hour + ${n(10)} > ${n(30)}`,
    () => `-context.hour < -${n(24)}`,
    () => `context.time * ${pick(random, ['2', '1000', '1000000000', '10000000000'])} > ${n(100)}`,
    () => `if context.emergency then true else context.mfaAgeSeconds < ${n(900)}`,
    () => `{level: context.riskTier, shift: context.shift}.shift == "${pick(random, ['day', 'evening', 'night'])}"`,
    () => `action in [Action::"session", Action::"reveal"]`,
    () => `action == Action::"${pick(random, wardActions)}"`,
    () => `principal is User in Group::"${g()}"`,
    () => `User::"${u()}" in Group::"${g()}"`,
    () => `Target::"${t()}".riskTier > ${n(5)}`,
    () => `principal in [Role::"${r()}", Group::"${g()}"]`,
    () => `[context.hour, context.weekday].isEmpty()`,
    () => `principal has department && principal.department != ""`,
    () => `resource has zone && resource.zone.kind == "${pick(random, ['clinical', 'enterprise', 'medical-device'])}"`,
  ];
  if (withFallbacks) {
    atoms.push(
      () => `ip("10.${n(256)}.0.1").isInRange(ip("10.0.0.0/8"))`,
      () => `decimal("1.${n(10)}") < decimal("1.5")`,
    );
  }
  return pick(random, atoms)();
}

function condition(random: Random, world: EntitySnapshot, depth: number, withFallbacks: boolean): string {
  if (depth === 0 || random() < 0.35) return atom(random, world, withFallbacks);
  const left = condition(random, world, depth - 1, withFallbacks);
  const right = condition(random, world, depth - 1, withFallbacks);
  const shape = int(random, 5);
  if (shape === 0) return `(${left}) || (${right})`;
  if (shape === 1) return `!(${left}) && (${right})`;
  return `(${left}) && (${right})`;
}

function scope(random: Random, world: EntitySnapshot): { principal: string; action: string; resource: string } {
  const principal = pick(random, [
    () => 'principal',
    () => `principal == User::"${pick(random, world.users).id}"`,
    () => `principal in Group::"${pick(random, world.groups).id}"`,
    () => `principal in Role::"${pick(random, world.roles).id}"`,
    () => 'principal is User',
    () => `principal is User in Group::"${pick(random, world.groups).id}"`,
  ])();
  const action = pick(random, [
    () => 'action',
    () => `action == Action::"${pick(random, wardActions)}"`,
    () => `action in [Action::"${pick(random, wardActions)}", Action::"${pick(random, wardActions)}"]`,
    () => `action in Action::"session"`,
    () => `action in Action::"admin"`,
  ])();
  const resource = pick(random, [
    () => 'resource',
    () => `resource in Zone::"${pick(random, world.zones).id}"`,
    () => `resource == Target::"${pick(random, world.targets).id}"`,
    () => 'resource is Target',
    () => `resource is Account in Zone::"${pick(random, world.zones).id}"`,
    () => `resource in Target::"${pick(random, world.targets).id}"`,
  ])();
  return { principal, action, resource };
}

/** Cedar text of `count` random policies with ids `gen.<prefix>.<n>`. */
export function generatePolicies(
  random: Random,
  world: EntitySnapshot,
  count: number,
  options: { prefix?: string; withFallbacks?: boolean; forbidShare?: number } = {},
): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const effect = random() < (options.forbidShare ?? 0.25) ? 'forbid' : 'permit';
    const s = scope(random, world);
    const clauses: string[] = [];
    const clauseCount = int(random, 3);
    for (let c = 0; c < clauseCount; c++) {
      const kind = random() < 0.8 ? 'when' : 'unless';
      clauses.push(`${kind} { ${condition(random, world, 2, options.withFallbacks ?? false)} }`);
    }
    out.push(
      `@id("gen.${options.prefix ?? 'p'}.${i}")\n@description("generated policy ${i}")\n` +
        `${effect} (${s.principal}, ${s.action}, ${s.resource})${clauses.length ? `\n${clauses.join('\n')}` : ''};`,
    );
  }
  if (options.withFallbacks) {
    // One policy the compiled evaluator cannot compile, scoped to one user so about 1 request in 200 exercises the
    // cedar-wasm fallback whatever the seed (left to chance, a seed could generate none that apply), without making
    // every decision pay for a wasm call. Its condition never holds, so outcomes are unchanged.
    out.push(
      `@id("gen.${options.prefix ?? 'p'}.fallback")\n@description("generated fallback policy")\n` +
        `forbid (principal == User::"${pick(random, world.users).id}", action, resource)\nwhen { decimal("1.${int(random, 10)}") < decimal("1.5") && context.hour > 24 };`,
    );
  }
  return out.join('\n\n');
}

/** A random, fully formed Cedar request over the world (occasionally naming entities that do not exist). */
export function generateRequest(random: Random, world: EntitySnapshot, now: number): CedarRequest {
  const action = pick(random, wardActions);
  const ghost = random() < 0.01;
  const principal = { type: 'User' as const, id: ghost ? 'nobody' : pick(random, world.users).id };
  let resource: CedarRequest['resource'];
  if (action.startsWith('admin.')) resource = { type: 'System', id: 'ward' };
  else if (action === 'reveal' || random() < 0.3) resource = { type: 'Account', id: pick(random, world.accounts).id };
  else resource = { type: 'Target', id: random() < 0.01 ? 'ghost-target' : pick(random, world.targets).id };
  const hour = int(random, 24);
  const context: Record<string, CedarValue> = {
    time: Math.floor(now / 1000) + int(random, 86_400),
    hour,
    weekday: int(random, 7),
    shift: hour >= 7 && hour < 15 ? 'day' : hour >= 15 && hour < 23 ? 'evening' : 'night',
    afterHours: random() < 0.4,
    networkZone: pick(random, ['vpn', 'enterprise', 'internet', 'clinical']),
    deviceTrust: pick(random, ['managed', 'known', 'unknown']),
    onCall: random() < 0.3,
    emergency: random() < 0.1,
    mfaAgeSeconds: int(random, 2000),
    riskTier: 1 + int(random, 4),
    vendorWindow: random() < 0.5,
  };
  if (random() < 0.5) context.ticket = random() < 0.7 ? `INC-${int(random, 9999)}` : `CHG${int(random, 99)}`;
  if (random() < 0.3) context.purposeOfUse = pick(random, ['BTG', 'ETREAT', 'TREAT', 'HSYSADMIN']);
  if (action === 'approve') {
    context.requester = { __entity: { type: 'User', id: random() < 0.2 ? principal.id : pick(random, world.users).id } };
  }
  return { principal, action, resource, context };
}

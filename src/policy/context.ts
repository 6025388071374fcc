// Turns a caller's request into a complete Cedar request: checks the entities exist and the context is whole,
// and fills what the engine knows better than the caller (time, hour, shift, after-hours, the target's risk tier).
import { actionParents, dayShift, requiredContextFields, systemEntity } from './schema.js';
import { entityKey, type EntityStore } from './entities.js';
import { wardActions, type CedarRequest, type CedarValue, type PolicyRequest, type WardAction } from './types.js';

/** MFA age used when the caller never proved a second factor: older than any policy allows. */
export const mfaNeverSeconds = 2_147_483_647;

export type Resolution = { ok: true; request: CedarRequest } | { ok: false; reason: string };

const resourceTypes: Record<WardAction, string[]> = {
  connect: ['Target', 'Account'],
  exec: ['Target', 'Account'],
  query: ['Target', 'Account'],
  request: ['Target', 'Account'],
  breakglass: ['Target', 'Account'],
  approve: ['Target', 'Account'],
  reveal: ['Account'],
  'admin.policy': ['System'],
  'admin.identity': ['System'],
  'admin.inventory': ['System'],
  'admin.vault': ['System'],
  'admin.audit': ['System'],
};

export function isWardAction(value: string): value is WardAction {
  return (wardActions as readonly string[]).includes(value);
}

/** Local hour and weekday in a time zone, cached per minute (Intl formatting is too slow for every decision). */
export function createLocalTime(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23', weekday: 'short' });
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  let cachedMinute = -1;
  let cached = { hour: 0, weekday: 0 };
  return (ms: number): { hour: number; weekday: number } => {
    const minute = Math.floor(ms / 60_000);
    if (minute === cachedMinute) return cached;
    const parts = format.formatToParts(new Date(ms));
    const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
    const weekday = weekdays.indexOf(parts.find((p) => p.type === 'weekday')?.value ?? 'Sun');
    cachedMinute = minute;
    cached = { hour, weekday };
    return cached;
  };
}

export function shiftOf(hour: number): 'day' | 'evening' | 'night' {
  if (hour >= 7 && hour < 15) return 'day';
  if (hour >= 15 && hour < 23) return 'evening';
  return 'night';
}

export function isAfterHours(hour: number, weekday: number): boolean {
  return weekday === 0 || weekday === 6 || hour < dayShift.startHour || hour >= dayShift.endHour;
}

/** Resolves a request against the entity store; never throws — refusals carry a reason an admin can read. */
export function resolveRequest(
  request: PolicyRequest,
  store: EntityStore,
  now: number,
  localTime: (ms: number) => { hour: number; weekday: number },
): Resolution {
  const { principal, resource, action } = request;
  if (!isWardAction(action)) return { ok: false, reason: `unknown action "${String(action)}"` };
  if (principal?.type !== 'User') return { ok: false, reason: 'the principal must be a User' };
  if (!store.has('User', principal.id)) return { ok: false, reason: `unknown user "${principal.id}"` };
  const allowedTypes = resourceTypes[action];
  if (!resource || !allowedTypes.includes(resource.type)) {
    return { ok: false, reason: `action ${action} applies to ${allowedTypes.join(' or ')}, not ${resource?.type ?? 'nothing'}` };
  }
  if (resource.type === 'System' && resource.id !== systemEntity.id) return { ok: false, reason: `unknown system "${resource.id}"` };
  if (!store.has(resource.type, resource.id)) return { ok: false, reason: `unknown ${resource.type.toLowerCase()} "${resource.id}"` };

  const input = request.context ?? {};
  const missing = requiredContextFields.filter((field) => input[field] === undefined || input[field] === null);
  if (missing.length) return { ok: false, reason: `missing context field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}` };
  const typeErrors: string[] = [];
  const expect = (field: keyof typeof input, type: 'string' | 'boolean' | 'number') => {
    const value = input[field];
    if (value !== undefined && typeof value !== type) typeErrors.push(`${field} must be a ${type}`);
  };
  expect('networkZone', 'string');
  expect('deviceTrust', 'string');
  expect('onCall', 'boolean');
  expect('emergency', 'boolean');
  expect('vendorWindow', 'boolean');
  expect('mfaAgeSeconds', 'number');
  expect('ticket', 'string');
  expect('purposeOfUse', 'string');
  expect('command', 'string');
  expect('requesterId', 'string');
  expect('time', 'number');
  if (input.mfaAgeSeconds !== undefined && (!Number.isSafeInteger(input.mfaAgeSeconds) || input.mfaAgeSeconds < 0)) {
    typeErrors.push('mfaAgeSeconds must be a whole number of seconds, zero or more');
  }
  if (typeErrors.length) return { ok: false, reason: `invalid context: ${typeErrors.join('; ')}` };

  const time = input.time ?? now;
  const { hour, weekday } = localTime(time);
  const context: Record<string, CedarValue> = {
    time: Math.floor(time / 1000),
    hour,
    weekday,
    shift: shiftOf(hour),
    afterHours: isAfterHours(hour, weekday),
    networkZone: input.networkZone!,
    deviceTrust: input.deviceTrust!,
    onCall: input.onCall!,
    emergency: input.emergency!,
    mfaAgeSeconds: input.mfaAgeSeconds ?? mfaNeverSeconds,
    riskTier: riskTierOf(store, resource.type, resource.id),
    vendorWindow: input.vendorWindow!,
  };
  if (input.ticket !== undefined) context.ticket = input.ticket;
  if (input.purposeOfUse !== undefined) context.purposeOfUse = input.purposeOfUse;
  if (input.command !== undefined) context.command = input.command;
  if (action === 'approve') {
    if (input.requesterId === undefined) return { ok: false, reason: 'missing context field: requesterId (who made the request)' };
    if (!store.has('User', input.requesterId)) return { ok: false, reason: `unknown requester "${input.requesterId}"` };
    context.requester = { __entity: { type: 'User', id: input.requesterId } };
  }
  return {
    ok: true,
    request: { principal: { type: 'User', id: principal.id }, action, resource: { type: resource.type, id: resource.id }, context },
  };
}

function riskTierOf(store: EntityStore, type: string, id: string): number {
  let entity = store.get(entityKey(type, id));
  if (entity && type === 'Account') {
    const target = entity.attrs.target;
    entity = target && typeof target === 'object' && 'key' in target ? store.get((target as { key: string }).key) : undefined;
  }
  const tier = entity?.attrs.riskTier;
  return typeof tier === 'number' ? tier : 0;
}

export const allActions = { all: [...wardActions] as string[], parents: actionParents };

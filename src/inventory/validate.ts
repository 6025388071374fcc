// Checks inventory input field by field so API calls and import rows report the same, precise errors.
import { parseCommand } from '../platform/command-line.js';
import {
  accountKinds,
  criticalities,
  ephiSensitivities,
  privilegeLevels,
  protocols,
  type AccountInput,
  commandControlModes,
  type PasswordPolicy,
  type SessionPolicy,
  type TargetInput,
  type ZoneInput,
} from './types.js';

const namePattern = /^[\p{L}\p{N}][\p{L}\p{N}._ -]{0,127}$/u;
const usernamePattern = /^[A-Za-z0-9_.@\\$-][A-Za-z0-9_.@\\$ -]{0,127}$/;

function oneOf<T extends string>(values: readonly T[], value: unknown, field: string, errors: string[]): value is T {
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return true;
  errors.push(`${field} must be one of ${values.join(', ')} (got ${JSON.stringify(value)})`);
  return false;
}

export function validateZone(input: ZoneInput): string[] {
  const errors: string[] = [];
  if (typeof input.name !== 'string' || !namePattern.test(input.name.trim())) {
    errors.push('zone name must be 1–128 letters, digits, ".", "_", "-" or spaces');
  }
  if (input.description !== undefined && (typeof input.description !== 'string' || input.description.length > 1000)) {
    errors.push('description must be text of at most 1000 characters');
  }
  if (input.gatewayIds !== undefined && (!Array.isArray(input.gatewayIds) || input.gatewayIds.some((g) => typeof g !== 'string' || g.length === 0 || g.length > 128))) {
    errors.push('gatewayIds must be a list of gateway ids');
  }
  return errors;
}

export function validatePasswordPolicy(policy: PasswordPolicy, errors: string[]): void {
  if (!Number.isInteger(policy.length) || policy.length < 8 || policy.length > 256) errors.push('passwordPolicy.length must be an integer from 8 to 256');
  if (!policy.lowercase && !policy.uppercase && !policy.digits && !policy.symbols) errors.push('passwordPolicy must allow at least one character class');
  if (typeof policy.exclude !== 'string' || policy.exclude.length > 200) errors.push('passwordPolicy.exclude must be a string of at most 200 characters');
}

export function validateSessionPolicy(policy: Partial<SessionPolicy>, errors: string[]): void {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    errors.push('sessionPolicy must be an object');
    return;
  }
  const known = ['commandControl', 'allowedCommands', 'idleTimeoutMinutes', 'rotateAfterUse', 'requireSecondFactor', 'fileTransfer', 'portForwarding'];
  for (const key of Object.keys(policy)) if (!known.includes(key)) errors.push(`sessionPolicy.${key} is not a session setting (known: ${known.join(', ')})`);
  if (policy.commandControl !== undefined) oneOf(commandControlModes, policy.commandControl, 'sessionPolicy.commandControl', errors);
  if (policy.allowedCommands !== undefined) {
    if (!Array.isArray(policy.allowedCommands) || policy.allowedCommands.length > 200) errors.push('sessionPolicy.allowedCommands must be a list of at most 200 command lines');
    else
      policy.allowedCommands.forEach((command, i) => {
        if (typeof command !== 'string' || command.trim() === '' || command.length > 500) {
          errors.push(`sessionPolicy.allowedCommands[${i}] must be a command line of 1–500 characters`);
          return;
        }
        // The gateway's own parser: what is saved here is exactly what allow-mode can match.
        const parsed = parseCommand(command);
        if (!parsed.ok) errors.push(`sessionPolicy.allowedCommands[${i}] is refused (${parsed.reason}); list plain argv such as "systemctl restart dicom"`);
      });
  }
  if (policy.commandControl === 'allow' && !(policy.allowedCommands ?? []).length) errors.push('sessionPolicy.commandControl "allow" needs at least one allowed command');
  if (policy.idleTimeoutMinutes !== undefined && (!Number.isInteger(policy.idleTimeoutMinutes) || policy.idleTimeoutMinutes < 1 || policy.idleTimeoutMinutes > 480)) {
    errors.push('sessionPolicy.idleTimeoutMinutes must be an integer from 1 to 480');
  }
  for (const flag of ['rotateAfterUse', 'requireSecondFactor', 'fileTransfer', 'portForwarding'] as const) {
    if (policy[flag] !== undefined && typeof policy[flag] !== 'boolean') errors.push(`sessionPolicy.${flag} must be true or false`);
  }
}

export function validateTarget(input: TargetInput): string[] {
  const errors: string[] = [];
  if (typeof input.name !== 'string' || !namePattern.test(input.name.trim())) {
    errors.push('target name must be 1–128 letters, digits, ".", "_", "-" or spaces');
  }
  if (typeof input.address !== 'string' || input.address.trim().length === 0 || input.address.length > 255 || /\s/.test(input.address.trim())) {
    errors.push('address must be a host name or IP address (optionally with :port)');
  }
  if (!Array.isArray(input.protocols) || input.protocols.length === 0) errors.push(`protocols must list at least one of ${protocols.join(', ')}`);
  else for (const p of input.protocols) oneOf(protocols, p, 'protocol', errors);
  if (typeof input.zone !== 'string' || input.zone.trim() === '') errors.push('zone is required');
  oneOf(criticalities, input.criticality, 'criticality', errors);
  oneOf(ephiSensitivities, input.ephiSensitivity, 'ephiSensitivity', errors);
  if (input.tags !== undefined && (!Array.isArray(input.tags) || input.tags.some((t) => typeof t !== 'string' || t.length === 0 || t.length > 64))) {
    errors.push('tags must be a list of short labels');
  }
  if (input.passwordPolicy) validatePasswordPolicy(input.passwordPolicy, errors);
  if (input.sessionPolicy) validateSessionPolicy(input.sessionPolicy, errors);
  return errors;
}

export function validateAccount(input: AccountInput): string[] {
  const errors: string[] = [];
  if (typeof input.username !== 'string' || !usernamePattern.test(input.username)) {
    errors.push('username must be 1–128 characters (letters, digits, "_", ".", "@", "\\", "$", "-")');
  }
  oneOf(accountKinds, input.kind, 'kind', errors);
  if (input.privilegeLevel !== undefined) oneOf(privilegeLevels, input.privilegeLevel, 'privilegeLevel', errors);
  if (input.managed !== undefined && typeof input.managed !== 'boolean') errors.push('managed must be true or false');
  return errors;
}

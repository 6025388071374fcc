// Inventory vocabulary: zones (network/clinical segments served by gateways), targets in them, accounts on targets.
// Risk tier is derived from criticality and ePHI sensitivity so it is never hand-edited out of step.

export const criticalities = ['low', 'medium', 'high', 'clinical-critical'] as const;
export type Criticality = (typeof criticalities)[number];

export const ephiSensitivities = ['none', 'limited', 'full'] as const;
export type EphiSensitivity = (typeof ephiSensitivities)[number];

export const riskTiers = ['low', 'moderate', 'high', 'critical'] as const;
export type RiskTier = (typeof riskTiers)[number];

export const protocols = ['ssh', 'postgres', 'https', 'rdp'] as const;
export type Protocol = (typeof protocols)[number];

export const accountKinds = ['human-admin', 'service', 'device', 'emergency', 'vendor'] as const;
export type AccountKind = (typeof accountKinds)[number];

export const privilegeLevels = ['standard', 'elevated', 'admin', 'root'] as const;
export type PrivilegeLevel = (typeof privilegeLevels)[number];

/** How passwords generated for a target's accounts must look (legacy systems refuse some characters). */
export interface PasswordPolicy {
  length: number;
  lowercase: boolean;
  uppercase: boolean;
  digits: boolean;
  symbols: boolean;
  /** Characters the target refuses; never generated. */
  exclude: string;
}

export const defaultPasswordPolicy: PasswordPolicy = {
  length: 24,
  lowercase: true,
  uppercase: true,
  digits: true,
  symbols: true,
  exclude: '',
};

export const commandControlModes = ['off', 'deny', 'allow'] as const;
export type CommandControlMode = (typeof commandControlModes)[number];

/**
 * How privileged sessions to a target run through Ward's gateways. Null on a target means "the defaults for its
 * risk tier" (effectiveSessionPolicy); a stored policy replaces them field by field.
 */
export interface SessionPolicy {
  /** off: no command checks; deny: shell line guard that blocks chaining and alerts; allow: exec only, exact allow-list. */
  commandControl: CommandControlMode;
  /** allow-mode: each entry one exact command line (argv, no shell metacharacters), e.g. "systemctl restart dicom". */
  allowedCommands: string[];
  /** Automatic logoff after this many minutes without traffic (HIPAA 164.312(a)(2)(iii)). */
  idleTimeoutMinutes: number;
  /** Mark the account's credentials for rotation when a session that used them ends. */
  rotateAfterUse: boolean;
  /** A registered SSH key alone is not enough: the user also answers password + TOTP (keyboard-interactive). */
  requireSecondFactor: boolean;
  /** SFTP (and scp) allowed. */
  fileTransfer: boolean;
  /** Local port forwarding (`ssh -L`, `ssh -W`) allowed. Agent and X11 forwarding are never relayed. */
  portForwarding: boolean;
}

/** Defaults by risk tier: critical targets log off sooner, rotate after every use and want a second factor. */
export function defaultSessionPolicy(tier: RiskTier): SessionPolicy {
  const critical = tier === 'critical';
  return {
    commandControl: 'off',
    allowedCommands: [],
    idleTimeoutMinutes: critical ? 10 : 15,
    rotateAfterUse: critical,
    requireSecondFactor: critical,
    fileTransfer: true,
    portForwarding: false,
  };
}

export function effectiveSessionPolicy(target: Pick<Target, 'riskTier' | 'sessionPolicy'>): SessionPolicy {
  return { ...defaultSessionPolicy(target.riskTier), ...(target.sessionPolicy ?? {}) };
}

export interface Zone {
  id: string;
  name: string;
  description: string;
  gatewayIds: string[];
  createdAt: number;
  updatedAt: number;
}

export interface Target {
  id: string;
  name: string;
  address: string;
  protocols: Protocol[];
  zoneId: string;
  ownerUserId: string | null;
  criticality: Criticality;
  ephiSensitivity: EphiSensitivity;
  riskTier: RiskTier;
  tags: string[];
  passwordPolicy: PasswordPolicy | null;
  /** Session rules for the gateways; null: the risk tier's defaults. */
  sessionPolicy: Partial<SessionPolicy> | null;
  createdAt: number;
  updatedAt: number;
}

export interface Account {
  id: string;
  targetId: string;
  username: string;
  kind: AccountKind;
  privilegeLevel: PrivilegeLevel;
  ownerUserId: string | null;
  managed: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ZoneInput {
  name: string;
  description?: string | undefined;
  gatewayIds?: string[] | undefined;
}

export interface TargetInput {
  name: string;
  address: string;
  protocols: Protocol[];
  /** Zone id or zone name. */
  zone: string;
  ownerUserId?: string | null | undefined;
  criticality: Criticality;
  ephiSensitivity: EphiSensitivity;
  tags?: string[] | undefined;
  passwordPolicy?: PasswordPolicy | null | undefined;
  sessionPolicy?: Partial<SessionPolicy> | null | undefined;
}

export interface AccountInput {
  username: string;
  kind: AccountKind;
  privilegeLevel?: PrivilegeLevel | undefined;
  ownerUserId?: string | null | undefined;
  managed?: boolean | undefined;
}

export type { Actor } from '../platform/actor.js';

export function computeRiskTier(criticality: Criticality, ephi: EphiSensitivity): RiskTier {
  if (criticality === 'clinical-critical' || (criticality === 'high' && ephi === 'full')) return 'critical';
  if (criticality === 'high' || ephi === 'full') return 'high';
  if (criticality === 'medium' || ephi === 'limited') return 'moderate';
  return 'low';
}

// Configuration: parsed once at start from the environment and an optional YAML/JSON file, typed and validated.
// Precedence: environment > config file > defaults. The README's "Configuration" table mirrors this file.
import { readFileSync, existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { WardError } from './errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface AuthSettings {
  /** HIPAA automatic logoff: a session unused this long is dead. Roles may set a shorter one. */
  idleTimeoutSeconds: number;
  absoluteLifetimeSeconds: number;
  /** High-risk routes demand an MFA proof younger than this. */
  stepUpMaxAgeSeconds: number;
  /** Failures before an account is locked. */
  lockoutThreshold: number;
  lockoutSeconds: number;
  /** Failures from one address before it is slowed down exponentially. */
  addressThrottleThreshold: number;
  /** MFA prompts per user allowed in the fatigue window. */
  mfaPromptLimit: number;
  mfaPromptWindowSeconds: number;
  loginChallengeSeconds: number;
}

export interface WardConfig {
  dataDir: string;
  databaseUrl: string;
  databaseKind: 'sqlite' | 'postgres';
  httpListen: ListenAddress;
  sshListen: ListenAddress;
  tls: { mode: 'off' } | { mode: 'auto' } | { mode: 'files'; certFile: string; keyFile: string };
  publicUrl: string;
  nodeId: string;
  logLevel: string;
  bodyLimitBytes: number;
  bootstrapAdminPassword: string | undefined;
  /** WebAuthn relying party: id is the host name browsers see, origins the URLs they load the console from. */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  auth: AuthSettings;
  /** Every WARD_* setting after merging file and environment, for domains that parse their own section (audit sinks). */
  settings: Readonly<Record<string, string | undefined>>;
}

export const defaultAuthSettings: AuthSettings = {
  idleTimeoutSeconds: 15 * 60,
  absoluteLifetimeSeconds: 12 * 60 * 60,
  stepUpMaxAgeSeconds: 5 * 60,
  lockoutThreshold: 5,
  lockoutSeconds: 15 * 60,
  addressThrottleThreshold: 10,
  mfaPromptLimit: 5,
  mfaPromptWindowSeconds: 5 * 60,
  loginChallengeSeconds: 5 * 60,
};

type Env = Record<string, string | undefined>;

export function parseListen(value: string, name: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new WardError('VALIDATION_FAILED', `${name} must be host:port (got "${value}")`);
  }
  return { host: (match[1] ?? match[2])!, port };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WardError('VALIDATION_FAILED', `cannot read config file ${path}`, undefined, { cause: error });
  }
  const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new WardError('VALIDATION_FAILED', `config file ${path} must hold a mapping of settings`);
  }
  return parsed as Record<string, unknown>;
}

const fileKeys: Record<string, string> = {
  dataDir: 'WARD_DATA_DIR',
  databaseUrl: 'WARD_DATABASE_URL',
  httpListen: 'WARD_HTTP_LISTEN',
  sshListen: 'WARD_SSH_LISTEN',
  tls: 'WARD_TLS',
  tlsCert: 'WARD_TLS_CERT',
  tlsKey: 'WARD_TLS_KEY',
  publicUrl: 'WARD_PUBLIC_URL',
  nodeId: 'WARD_NODE_ID',
  logLevel: 'WARD_LOG_LEVEL',
  bodyLimitBytes: 'WARD_BODY_LIMIT_BYTES',
  idleTimeoutSeconds: 'WARD_IDLE_TIMEOUT_SECONDS',
  stepUpMaxAgeSeconds: 'WARD_STEP_UP_MAX_AGE_SECONDS',
  auditCheckpointEvents: 'WARD_AUDIT_CHECKPOINT_EVENTS',
  auditCheckpointSeconds: 'WARD_AUDIT_CHECKPOINT_SECONDS',
  auditRetentionDays: 'WARD_AUDIT_RETENTION_DAYS',
  auditSinksFile: 'WARD_AUDIT_SINKS_FILE',
  timeZone: 'WARD_TIME_ZONE',
  networkZone: 'WARD_NETWORK_ZONE',
};

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new WardError('VALIDATION_FAILED', `${name} must be a positive integer`);
  return n;
}

/** Reads configuration. `WARD_CONFIG` names a YAML or JSON file; otherwise `<dataDir>/ward.yaml` is used if present. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): WardConfig {
  const merged: Env = {};
  const explicitFile = env.WARD_CONFIG;
  const provisionalDataDir = resolve(cwd, env.WARD_DATA_DIR ?? '.ward');
  const file = explicitFile ? resolve(cwd, explicitFile) : join(provisionalDataDir, 'ward.yaml');
  if (explicitFile || existsSync(file)) {
    const values = readConfigFile(file);
    for (const [key, value] of Object.entries(values)) {
      const envName = fileKeys[key];
      if (!envName) throw new WardError('VALIDATION_FAILED', `unknown setting "${key}" in ${file}`);
      merged[envName] = String(value);
    }
  }
  for (const [key, value] of Object.entries(env)) if (key.startsWith('WARD_') && value !== undefined) merged[key] = value;

  const dataDir = resolve(cwd, merged.WARD_DATA_DIR ?? '.ward');
  const databaseUrl = merged.WARD_DATABASE_URL ?? `sqlite://${join(dataDir, 'ward.db')}`;
  let databaseKind: WardConfig['databaseKind'];
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) databaseKind = 'postgres';
  else if (databaseUrl.startsWith('sqlite://') || databaseUrl === ':memory:') databaseKind = 'sqlite';
  else throw new WardError('VALIDATION_FAILED', 'WARD_DATABASE_URL must start with sqlite:// or postgres://');

  const httpListen = parseListen(merged.WARD_HTTP_LISTEN ?? '127.0.0.1:8080', 'WARD_HTTP_LISTEN');
  const sshListen = parseListen(merged.WARD_SSH_LISTEN ?? '127.0.0.1:2222', 'WARD_SSH_LISTEN');

  const tlsSetting = (merged.WARD_TLS ?? 'off').toLowerCase();
  let tls: WardConfig['tls'];
  if (merged.WARD_TLS_CERT || merged.WARD_TLS_KEY) {
    if (!merged.WARD_TLS_CERT || !merged.WARD_TLS_KEY) {
      throw new WardError('VALIDATION_FAILED', 'WARD_TLS_CERT and WARD_TLS_KEY must be set together');
    }
    tls = { mode: 'files', certFile: resolve(cwd, merged.WARD_TLS_CERT), keyFile: resolve(cwd, merged.WARD_TLS_KEY) };
  } else if (tlsSetting === 'auto') tls = { mode: 'auto' };
  else if (tlsSetting === 'off' || tlsSetting === 'false' || tlsSetting === '0') tls = { mode: 'off' };
  else throw new WardError('VALIDATION_FAILED', 'WARD_TLS must be "auto" or "off" (or set WARD_TLS_CERT/WARD_TLS_KEY)');

  const scheme = tls.mode === 'off' ? 'http' : 'https';
  const displayHost = httpListen.host === '0.0.0.0' || httpListen.host === '::' ? 'localhost' : httpListen.host;
  const publicUrl = (merged.WARD_PUBLIC_URL ?? `${scheme}://${displayHost}:${httpListen.port}`).replace(/\/$/, '');
  const publicHost = new URL(publicUrl).hostname;

  return {
    dataDir,
    databaseUrl,
    databaseKind,
    httpListen,
    sshListen,
    tls,
    publicUrl,
    nodeId: merged.WARD_NODE_ID ?? hostname(),
    logLevel: merged.WARD_LOG_LEVEL ?? 'info',
    bodyLimitBytes: merged.WARD_BODY_LIMIT_BYTES ? positiveInt(merged.WARD_BODY_LIMIT_BYTES, 'WARD_BODY_LIMIT_BYTES') : 1024 * 1024,
    bootstrapAdminPassword: merged.WARD_BOOTSTRAP_ADMIN_PASSWORD,
    webauthn: { rpId: publicHost, rpName: 'Ward', origins: [publicUrl] },
    auth: {
      ...defaultAuthSettings,
      ...(merged.WARD_IDLE_TIMEOUT_SECONDS
        ? { idleTimeoutSeconds: positiveInt(merged.WARD_IDLE_TIMEOUT_SECONDS, 'WARD_IDLE_TIMEOUT_SECONDS') }
        : {}),
      ...(merged.WARD_STEP_UP_MAX_AGE_SECONDS
        ? { stepUpMaxAgeSeconds: positiveInt(merged.WARD_STEP_UP_MAX_AGE_SECONDS, 'WARD_STEP_UP_MAX_AGE_SECONDS') }
        : {}),
    },
    settings: Object.freeze({ ...merged }),
  };
}

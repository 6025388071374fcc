// Audit settings and export sinks from configuration. Proposed keys (the lead wires them into WardConfig):
//   WARD_AUDIT_CHECKPOINT_EVENTS (1000), WARD_AUDIT_CHECKPOINT_SECONDS (60), WARD_AUDIT_RETENTION_DAYS (2192),
//   WARD_AUDIT_SINKS: a JSON array of sink definitions, or WARD_AUDIT_SINKS_FILE: a YAML/JSON file holding one.
// Secrets (webhook keys, FHIR tokens) are referenced by file or environment variable name, never written inline.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { Type, type Static } from 'typebox';
import { WardError } from '../platform/errors.js';
import { secret } from '../platform/secret.js';
import { DEFAULT_RETENTION_DAYS } from './archive.js';
import { createSyslogSink } from './sinks/syslog.js';
import { createFhirSink } from './sinks/fhir.js';
import { createWebhookSink } from './sinks/webhook.js';
import type { AuditSink } from './sinks/types.js';

const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' });
const SecretRef = Type.Object({ file: Type.Optional(Type.String()), env: Type.Optional(Type.String()) }, { additionalProperties: false });

export const SinkDefinition = Type.Union([
  Type.Object(
    {
      type: Type.Literal('syslog'),
      name: Name,
      host: Type.String({ minLength: 1 }),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      transport: Type.Union([Type.Literal('tls'), Type.Literal('tcp')]),
      payload: Type.Union([Type.Literal('json'), Type.Literal('cef')]),
      caFile: Type.Optional(Type.String()),
      certFile: Type.Optional(Type.String()),
      keyFile: Type.Optional(Type.String()),
      servername: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('fhir'),
      name: Name,
      url: Type.Optional(Type.String({ pattern: '^https?://' })),
      directory: Type.Optional(Type.String()),
      bearerToken: Type.Optional(SecretRef),
      site: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('webhook'), name: Name, url: Type.String(), secret: SecretRef, allowInsecure: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
]);
export type SinkDefinition = Static<typeof SinkDefinition>;

export interface AuditSettings {
  checkpointEvery: { events: number; seconds: number };
  retentionDays: number;
  sinks: SinkDefinition[];
}

type Env = Record<string, string | undefined>;

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new WardError('VALIDATION_FAILED', `${name} must be a positive integer`);
  return n;
}

const validateSinks = new Ajv({ strict: false, allErrors: false }).compile(Type.Array(SinkDefinition));

export function parseAuditSettings(env: Env): AuditSettings {
  let raw: unknown = [];
  if (env.WARD_AUDIT_SINKS) raw = JSON.parse(env.WARD_AUDIT_SINKS);
  else if (env.WARD_AUDIT_SINKS_FILE) raw = parseYaml(readFileSync(env.WARD_AUDIT_SINKS_FILE, 'utf8'));
  if (!validateSinks(raw)) {
    const first = validateSinks.errors?.[0];
    throw new WardError('VALIDATION_FAILED', `audit sinks: ${first?.instancePath ?? ''} ${first?.message ?? 'invalid'}`);
  }
  const sinks = raw as SinkDefinition[];
  const names = new Set<string>();
  for (const sink of sinks) {
    if (names.has(sink.name)) throw new WardError('VALIDATION_FAILED', `audit sink name "${sink.name}" is used twice`);
    names.add(sink.name);
  }
  return {
    checkpointEvery: {
      events: positive(env.WARD_AUDIT_CHECKPOINT_EVENTS, 'WARD_AUDIT_CHECKPOINT_EVENTS', 1000),
      seconds: positive(env.WARD_AUDIT_CHECKPOINT_SECONDS, 'WARD_AUDIT_CHECKPOINT_SECONDS', 60),
    },
    retentionDays: positive(env.WARD_AUDIT_RETENTION_DAYS, 'WARD_AUDIT_RETENTION_DAYS', DEFAULT_RETENTION_DAYS),
    sinks,
  };
}

function readSecret(ref: { file?: string | undefined; env?: string | undefined }, env: Env, what: string): string {
  const value = ref.file ? readFileSync(ref.file, 'utf8').trim() : ref.env ? env[ref.env] : undefined;
  if (!value) throw new WardError('VALIDATION_FAILED', `${what}: the referenced secret is empty or missing`);
  return value;
}

/** Builds the sinks; `hostname` is the syslog HOSTNAME field (the node id). */
export function createConfiguredSinks(definitions: SinkDefinition[], options: { hostname: string; env?: Env }): AuditSink[] {
  const env = options.env ?? process.env;
  return definitions.map((d): AuditSink => {
    switch (d.type) {
      case 'syslog':
        return createSyslogSink({
          name: d.name,
          host: d.host,
          port: d.port,
          payload: d.payload,
          hostname: options.hostname,
          tls:
            d.transport === 'tls'
              ? {
                  ...(d.caFile ? { ca: readFileSync(d.caFile) } : {}),
                  ...(d.certFile ? { cert: readFileSync(d.certFile) } : {}),
                  ...(d.keyFile ? { key: readFileSync(d.keyFile) } : {}),
                  ...(d.servername ? { servername: d.servername } : {}),
                }
              : undefined,
        });
      case 'fhir':
        return createFhirSink({
          name: d.name,
          url: d.url,
          directory: d.directory,
          ...(d.site ? { site: d.site } : {}),
          headers: d.bearerToken ? { authorization: `Bearer ${readSecret(d.bearerToken, env, `audit sink ${d.name}`)}` } : undefined,
        });
      case 'webhook':
        return createWebhookSink({ name: d.name, url: d.url, secret: secret(readSecret(d.secret, env, `audit sink ${d.name}`)), allowInsecure: d.allowInsecure === true });
    }
  });
}

// FHIR R4 AuditEvent export: each Ward event mapped with DICOM type/subtype codes and HL7 PurposeOfUse, sent as a
// batch Bundle to a FHIR server or appended to NDJSON files (the FHIR bulk data format).
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DCM_SYSTEM, dicomFor } from '../dicom.js';
import type { AuditCheckpoint, AuditRecord } from '../types.js';
import type { AuditSink, SinkItem } from './types.js';

export const WARD_ACTION_SYSTEM = 'urn:ward:audit-action';
const PURPOSE_OF_USE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const SOURCE_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const PARTICIPATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const NETWORK_ADDRESS_IP = '2';

type FhirResource = Record<string, unknown>;

function outcomeCode(outcome: AuditRecord['outcome']): { code: string; text: string } {
  // 0 success, 4 minor failure (the request was refused), 8 serious failure (it broke).
  if (outcome === 'success') return { code: '0', text: 'success' };
  if (outcome === 'denied') return { code: '4', text: 'denied' };
  return { code: '8', text: 'failure' };
}

function detail(type: string, value: string | number | boolean | null | string[]) {
  return { type, valueString: Array.isArray(value) ? value.join(',') : String(value) };
}

export function toFhirAuditEvent(record: AuditRecord, site = 'ward'): FhirResource {
  const mapping = dicomFor(record.action);
  const outcome = outcomeCode(record.outcome);
  const agent: Record<string, unknown> = {
    // Readers of the trail receive information (IRCP); everyone else is recorded without a participation type.
    ...(mapping.fhirAction === 'R' ? { type: { coding: [{ system: PARTICIPATION_SYSTEM, code: 'IRCP', display: 'information recipient' }] } } : {}),
    who: {
      ...(record.actor.id ? { identifier: { system: 'urn:ward:identity', value: record.actor.id } } : {}),
      display: record.actor.name ?? record.actor.id ?? record.actor.kind,
    },
    ...(record.actor.name ? { name: record.actor.name } : {}),
    requestor: true,
    ...(record.actor.address ? { network: { address: record.actor.address, type: NETWORK_ADDRESS_IP } } : {}),
    ...(record.reasonCode ? { purposeOfUse: [{ coding: [{ system: PURPOSE_OF_USE_SYSTEM, code: record.reasonCode }] }] } : {}),
  };
  const entityDetails = [
    detail('ward.sequence', record.sequence),
    ...(record.ticket ? [detail('ward.ticket', record.ticket)] : []),
    ...(record.sessionId ? [detail('ward.sessionId', record.sessionId)] : []),
    ...(record.policyIds?.length ? [detail('ward.policyIds', record.policyIds)] : []),
    ...(record.target?.account ? [detail('ward.account', record.target.account)] : []),
    ...Object.entries(record.details ?? {}).map(([k, v]) => detail(`ward.detail.${k}`, v)),
  ];
  const entity: Record<string, unknown>[] = [
    {
      what: record.target
        ? { identifier: { system: `urn:ward:${record.target.type}`, value: record.target.id ?? record.target.name ?? record.target.type }, display: record.target.name ?? record.target.system ?? record.target.type }
        : { display: 'Ward' },
      ...(record.target ? { name: record.target.system ?? record.target.name ?? record.target.type } : {}),
      ...(record.justification ? { description: record.justification } : {}),
      detail: entityDetails,
    },
  ];
  return {
    resourceType: 'AuditEvent',
    id: record.id,
    type: { system: DCM_SYSTEM, code: mapping.type.code, display: mapping.type.display },
    subtype: [
      ...(mapping.subtype ? [{ system: DCM_SYSTEM, code: mapping.subtype.code, display: mapping.subtype.display }] : []),
      { system: WARD_ACTION_SYSTEM, code: record.action },
    ],
    action: mapping.fhirAction,
    recorded: new Date(record.time).toISOString(),
    outcome: outcome.code,
    outcomeDesc: outcome.text,
    ...(record.reasonCode ? { purposeOfEvent: [{ coding: [{ system: PURPOSE_OF_USE_SYSTEM, code: record.reasonCode }] }] } : {}),
    agent: [agent],
    source: {
      site,
      observer: { identifier: { system: 'urn:ward:node', value: record.nodeId }, display: record.nodeId },
      type: [{ system: SOURCE_TYPE_SYSTEM, code: '4', display: 'Application Server' }],
    },
    entity,
  };
}

/** A checkpoint as an AuditEvent, so a FHIR repository also holds the signed chain positions. */
export function checkpointToFhir(checkpoint: AuditCheckpoint, site = 'ward'): FhirResource {
  return {
    resourceType: 'AuditEvent',
    type: { system: DCM_SYSTEM, code: '110100', display: 'Application Activity' },
    subtype: [{ system: WARD_ACTION_SYSTEM, code: 'audit.checkpoint.signed' }],
    action: 'E',
    recorded: new Date(checkpoint.time).toISOString(),
    outcome: '0',
    agent: [{ who: { identifier: { system: 'urn:ward:node', value: checkpoint.nodeId }, display: checkpoint.nodeId }, requestor: false }],
    source: {
      site,
      observer: { identifier: { system: 'urn:ward:node', value: checkpoint.nodeId }, display: checkpoint.nodeId },
      type: [{ system: SOURCE_TYPE_SYSTEM, code: '4', display: 'Application Server' }],
    },
    entity: [
      {
        what: { identifier: { system: 'urn:ward:audit-chain', value: String(checkpoint.sequence) }, display: 'audit chain checkpoint' },
        detail: [
          detail('ward.sequence', checkpoint.sequence),
          detail('ward.chainHash', checkpoint.hash),
          { type: 'ward.checkpoint', valueBase64Binary: Buffer.from(JSON.stringify(checkpoint)).toString('base64') },
        ],
      },
    ],
  };
}

export function toFhir(item: SinkItem, site?: string): FhirResource {
  return item.kind === 'event' ? toFhirAuditEvent(item.record, site) : checkpointToFhir(item.checkpoint, site);
}

export interface FhirSinkOptions {
  name: string;
  site?: string;
  /** FHIR base URL: a batch Bundle is POSTed to it. */
  url?: string | undefined;
  /** Extra headers (e.g. authorization) for the FHIR server. */
  headers?: Record<string, string> | undefined;
  /** Or a directory: resources are appended to AuditEvent-YYYY-MM-DD.ndjson. */
  directory?: string | undefined;
  timeoutMs?: number;
}

export function createFhirSink(options: FhirSinkOptions): AuditSink {
  if (!options.url === !options.directory) throw new Error('a FHIR sink needs exactly one of url or directory');
  return {
    name: options.name,
    async deliver(items) {
      const resources = items.map((item) => toFhir(item, options.site));
      if (options.directory) {
        await mkdir(options.directory, { recursive: true });
        const day = new Date().toISOString().slice(0, 10);
        await appendFile(join(options.directory, `AuditEvent-${day}.ndjson`), resources.map((r) => `${JSON.stringify(r)}\n`).join(''));
        return;
      }
      const bundle = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: resources.map((resource) => ({ resource, request: { method: 'POST', url: 'AuditEvent' } })),
      };
      const response = await fetch(options.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...options.headers },
        body: JSON.stringify(bundle),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (!response.ok) throw new Error(`FHIR server answered ${response.status}`);
      // A batch answers 200 even when entries failed; each entry carries its own status.
      const body = (await response.json().catch(() => null)) as { entry?: Array<{ response?: { status?: string } }> } | null;
      const failed = body?.entry?.find((e) => e.response?.status && !/^2/.test(e.response.status));
      if (failed) throw new Error(`FHIR server refused an AuditEvent: ${failed.response!.status}`);
    },
  };
}

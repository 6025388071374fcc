import { describe, expect, it } from 'vitest';
import { formatSyslog, frameOctetCounted, toCef } from './syslog.js';
import type { AuditRecord } from '../types.js';

const record: AuditRecord = {
  id: 'e1',
  sequence: 42,
  time: Date.UTC(2026, 10, 23, 9, 30, 0, 123),
  nodeId: 'ward-1',
  action: 'access.grant.created',
  outcome: 'denied',
  actor: { id: 'u1', kind: 'user', name: 'dr.müller', address: '10.0.0.5' },
  target: { type: 'target', id: 't1', name: 'ehr|db', system: 'ehr-db-01', account: 'postgres' },
  reasonCode: 'TREAT',
  justification: 'a=b \\ c\nnext line',
};

describe('syslog formatting', () => {
  it('counts octets, not characters, in the RFC 5425 frame', () => {
    const frame = frameOctetCounted('é');
    expect(frame.toString('utf8')).toBe('2 é');
  });

  it('writes an RFC 5424 header with facility log audit, structured data and a JSON message', () => {
    const line = formatSyslog({ kind: 'event', record }, { hostname: 'ward 1', payload: 'json' });
    expect(line).toMatch(/^<108>1 2026-11-23T09:30:00\.123Z ward_1 ward - audit \[ward@32473 seq="42" action="access\.grant\.created" outcome="denied"\] \{/);
    expect(JSON.parse(line.slice(line.indexOf('] ') + 2))).toMatchObject({ type: 'audit.event', sequence: 42 });
  });

  it('escapes CEF header pipes and extension equals signs, backslashes and newlines', () => {
    const cef = toCef({ kind: 'event', record });
    expect(cef.split('|').slice(0, 7).join('|')).toBe('CEF:0|Ward|Ward|0.1.0|access.grant.created|Application Activity|6');
    expect(cef).toContain('msg=a\\=b \\\\ c\\nnext line');
    expect(cef).toContain('suser=dr.müller');
    expect(cef).toContain('dhost=ehr-db-01');
  });
});

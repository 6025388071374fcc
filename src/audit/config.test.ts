import { describe, expect, it } from 'vitest';
import { createConfiguredSinks, parseAuditSettings } from './config.js';
import { isWardError } from '../platform/errors.js';

describe('audit settings', () => {
  it('defaults to six years of retention and checkpoints every 1000 events or 60 s', () => {
    expect(parseAuditSettings({})).toEqual({ checkpointEvery: { events: 1000, seconds: 60 }, retentionDays: 2192, sinks: [] });
  });

  it('builds syslog, FHIR and webhook sinks from definitions with secrets by reference', () => {
    const settings = parseAuditSettings({
      WARD_AUDIT_SINKS: JSON.stringify([
        { type: 'syslog', name: 'siem', host: 'siem.hospital.local', port: 6514, transport: 'tls', payload: 'cef' },
        { type: 'fhir', name: 'fhir', directory: '/var/lib/ward/fhir' },
        { type: 'webhook', name: 'soc', url: 'https://soc.example/hook', secret: { env: 'SOC_HOOK_KEY' } },
      ]),
    });
    const sinks = createConfiguredSinks(settings.sinks, { hostname: 'ward-1', env: { SOC_HOOK_KEY: 'k' } });
    expect(sinks.map((s) => s.name)).toEqual(['siem', 'fhir', 'soc']);
  });

  it('refuses unknown fields, duplicate names and inline secrets', () => {
    const attempts = [
      [{ type: 'syslog', name: 'a', host: 'h', port: 514, transport: 'udp', payload: 'json' }],
      [{ type: 'webhook', name: 'a', url: 'https://x', secret: 'inline-key' }],
      [
        { type: 'fhir', name: 'a', directory: '/x' },
        { type: 'fhir', name: 'a', directory: '/y' },
      ],
    ];
    for (const sinks of attempts) {
      let error: unknown;
      try {
        parseAuditSettings({ WARD_AUDIT_SINKS: JSON.stringify(sinks) });
      } catch (e) {
        error = e;
      }
      expect(isWardError(error, 'VALIDATION_FAILED')).toBe(true);
    }
  });
});

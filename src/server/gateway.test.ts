import { describe, expect, it } from 'vitest';
import type { AccessService } from '../access/index.js';
import type { ConnectContext } from '../gateway/ssh/index.js';
import { gatewayAuthorizerFrom, parseSshZones } from './gateway.js';

// Only the refusals that come before the grant lookup: access is never asked, so it is left out.
const authorizer = gatewayAuthorizerFrom({} as AccessService);
const context = (over: Partial<ConnectContext> = {}): ConnectContext => ({
  user: { id: 'u1', username: 'alice' },
  target: { id: 't1', name: 'ehr-db-01', host: '10.0.0.5', port: 22, zone: 'data-centre', hostKeys: [] },
  account: { id: 'a1', name: 'root' },
  gatewayZones: ['data-centre'],
  clientAddress: '192.0.2.1',
  authMethod: 'publickey',
  time: 0,
  ...over,
});

describe('SSH gateway wiring', () => {
  it('reads WARD_SSH_ZONES as a comma-separated list, unset meaning every zone', () => {
    expect(parseSshZones({ WARD_SSH_ZONES: ' icu , data-centre,,' })).toEqual(['icu', 'data-centre']);
    expect(parseSshZones({})).toBeNull();
    expect(parseSshZones({ WARD_SSH_ZONES: ' ' })).toBeNull();
  });

  it('refuses a target outside the served zones in one line, before asking for a grant', async () => {
    expect(await authorizer.authorizeConnect(context({ gatewayZones: ['icu'] }))).toEqual({
      allowed: false,
      reason: 'ehr-db-01 is in zone data-centre, which this gateway does not serve',
    });
  });

  it('asks for an account name when the target has several', async () => {
    const decision = await authorizer.authorizeConnect(context({ account: { id: 'no-default-account:3', name: '' } }));
    expect(decision).toEqual({ allowed: false, reason: 'ehr-db-01 has 3 accounts; name one: ssh alice+ACCOUNT@ehr-db-01@<gateway>' });
  });

  it('allows shell, exec and sftp and refuses forwarding, agent and X11 with a reason', async () => {
    for (const kind of ['shell', 'exec', 'sftp'] as const) expect(await authorizer.authorizeChannel(context(), { kind })).toEqual({ allowed: true });
    for (const kind of ['port-forward', 'agent', 'x11'] as const) {
      const verdict = await authorizer.authorizeChannel(context(), { kind });
      expect(verdict.allowed).toBe(false);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { ConnectContext } from '../gateway/ssh/index.js';
import { defaultSessionPolicy, type SessionPolicy } from '../inventory/index.js';
import type { Explanation, PolicyRequest } from '../policy/types.js';
import { gatewayAuthorizerFrom, parseSshZones, toCommandControl, type GatewayPolicyDeps } from './gateway.js';

// The wiring's own logic with narrow stand-ins for the grant store and the engine; the composed-server test
// (test/gateway/composed.test.ts) runs the same authorizer against the real Cedar pack and real OpenSSH.
const grant = { id: 'g1', breakglass: false };
function authorizerWith(options: { grant?: typeof grant | null; rules?: Partial<SessionPolicy>; allow?: (request: PolicyRequest) => boolean; forbid?: string } = {}) {
  const asked: PolicyRequest[] = [];
  const deps: GatewayPolicyDeps = {
    access: {
      activeGrantFor: async () => (options.grant === undefined ? grant : options.grant) as never,
      grantPurpose: async () => ({ reasonCode: 'HSYSADMIN', ticket: 'CHG-1', onCall: false, breakglass: options.grant?.breakglass ?? false }),
    },
    sessionPolicyFor: async () => ({ ...defaultSessionPolicy('moderate'), ...options.rules }),
    engine: {
      decide: (request) => {
        asked.push(request);
        return { decision: options.allow?.(request) ?? true ? 'allow' : 'deny', determining: options.forbid ? [options.forbid] : ['role.permit'], version: 1, fallbacks: [] };
      },
      explain: (): Explanation =>
        ({
          decision: 'deny',
          determining: options.forbid ? [options.forbid] : [],
          summary: '',
          failed: options.forbid ? [] : [{ policyId: 'role.sysadmin.servers', description: '', condition: 'needs zone enterprise' }],
          descriptions: options.forbid ? { [options.forbid]: 'Forbidden here.' } : {},
          errors: [],
          fallbacks: [],
          evaluator: 'compiled',
        }) as unknown as Explanation,
    },
    networkZoneOf: (address) => (address.startsWith('203.') ? 'internet' : 'enterprise'),
  };
  return { authorizer: gatewayAuthorizerFrom(deps), asked };
}
const context = (over: Partial<ConnectContext> = {}): ConnectContext => ({
  user: { id: 'u1', username: 'alice', mfaAt: 1_000 },
  target: { id: 't1', name: 'ehr-db-01', host: '10.0.0.5', port: 22, zone: 'data-centre', hostKeys: [] },
  account: { id: 'a1', name: 'root' },
  gatewayZones: ['data-centre'],
  clientAddress: '192.0.2.1',
  authMethod: 'publickey',
  time: 61_000,
  ...over,
});

describe('SSH gateway wiring', () => {
  it('reads WARD_SSH_ZONES as a comma-separated list, unset meaning every zone', () => {
    expect(parseSshZones({ WARD_SSH_ZONES: ' icu , data-centre,,' })).toEqual(['icu', 'data-centre']);
    expect(parseSshZones({})).toBeNull();
    expect(parseSshZones({ WARD_SSH_ZONES: ' ' })).toBeNull();
  });

  it('refuses a target outside the served zones in one line, before asking for a grant', async () => {
    expect(await authorizerWith().authorizer.authorizeConnect(context({ gatewayZones: ['icu'] }))).toEqual({
      allowed: false,
      reason: 'ehr-db-01 is in zone data-centre, which this gateway does not serve',
    });
  });

  it('asks for an account name when the target has several', async () => {
    const decision = await authorizerWith().authorizer.authorizeConnect(context({ account: { id: 'no-default-account:3', name: '' } }));
    expect(decision).toEqual({ allowed: false, reason: 'ehr-db-01 has 3 accounts; name one: ssh alice+ACCOUNT@ehr-db-01@<gateway>' });
  });

  it('asks Cedar `connect` with the session context and passes the target rules on', async () => {
    const { authorizer, asked } = authorizerWith({ rules: { commandControl: 'allow', allowedCommands: ['systemctl restart dicom'], idleTimeoutMinutes: 7 } });
    const decision = await authorizer.authorizeConnect(context());
    expect(decision).toEqual({
      allowed: true,
      grantId: 'g1',
      policyIds: ['role.permit'],
      idleTimeoutMs: 7 * 60_000,
      commandControl: { mode: 'allow', commands: [['systemctl', 'restart', 'dicom']] },
      reasonCode: 'HSYSADMIN',
      ticket: 'CHG-1',
    });
    expect(asked[0]).toMatchObject({
      action: 'connect',
      principal: { type: 'User', id: 'u1' },
      resource: { type: 'Target', id: 't1' },
      context: { deviceTrust: 'known', networkZone: 'enterprise', emergency: false, purposeOfUse: 'HSYSADMIN', ticket: 'CHG-1', mfaAgeSeconds: 60 },
    });
    const fromOutside = authorizerWith();
    await fromOutside.authorizer.authorizeConnect(context({ clientAddress: '203.0.113.9' }));
    expect(fromOutside.asked[0]?.context?.networkZone).toBe('internet');
    const viaPassword = authorizerWith();
    await viaPassword.authorizer.authorizeConnect(context({ authMethod: 'keyboard-interactive' }));
    expect(viaPassword.asked[0]?.context?.deviceTrust).toBe('unknown');
  });

  it('refuses without a grant, and explains a policy refusal in one line', async () => {
    const none = await authorizerWith({ grant: null }).authorizer.authorizeConnect(context());
    expect(none).toMatchObject({ allowed: false, reason: expect.stringMatching(/^no active grant for root@ehr-db-01; request one: ward request ehr-db-01/) });
    const forbidden = await authorizerWith({ allow: () => false, forbid: 'zone.fence' }).authorizer.authorizeConnect(context({ authMethod: 'keyboard-interactive' }));
    expect(forbidden).toEqual({ allowed: false, reason: 'refused by policy zone.fence: Forbidden here.', policyIds: ['zone.fence'] });
    const noPermit = await authorizerWith({ allow: () => false }).authorizer.authorizeConnect(context({ authMethod: 'keyboard-interactive' }));
    expect(noPermit).toMatchObject({ allowed: false, reason: 'no policy lets you connect to ehr-db-01; role.sysadmin.servers needs zone enterprise' });
  });

  it('asks a key-only login for a second factor when the target requires one or a fresh MFA would lift the refusal', async () => {
    const required = await authorizerWith({ rules: { requireSecondFactor: true } }).authorizer.authorizeConnect(context());
    expect(required).toMatchObject({ allowed: false, secondFactor: true });
    const withBoth = await authorizerWith({ rules: { requireSecondFactor: true } }).authorizer.authorizeConnect(context({ authMethod: 'publickey+keyboard-interactive' }));
    expect(withBoth.allowed).toBe(true);
    // Policy wants MFA under 15 minutes (after hours): stale on the key, fresh after password + TOTP.
    const fresh = (request: PolicyRequest) => Number(request.context?.mfaAgeSeconds ?? Infinity) <= 900;
    const stale = await authorizerWith({ allow: fresh, forbid: 'after-hours.step-up' }).authorizer.authorizeConnect(context({ user: { id: 'u1', username: 'alice', mfaAt: 0 }, time: 3_600_000 }));
    expect(stale).toMatchObject({ allowed: false, secondFactor: true, policyIds: ['after-hours.step-up'] });
  });

  it('lets a break-glass grant stand in for a missing permit but never for a forbid', async () => {
    const breakglass = { id: 'g2', breakglass: true };
    const noPermit = await authorizerWith({ grant: breakglass, allow: () => false }).authorizer.authorizeConnect(context());
    expect(noPermit).toMatchObject({ allowed: true, grantId: 'g2', reasonCode: 'break-glass' });
    const forbid = await authorizerWith({ grant: breakglass, allow: () => false, forbid: 'network.internet-no-critical' }).authorizer.authorizeConnect(context());
    expect(forbid.allowed).toBe(false);
  });

  it('allows shell, exec and sftp by default and refuses forwarding, agent and X11; target rules change sftp and forwarding', async () => {
    const { authorizer } = authorizerWith();
    const ctx = context();
    await authorizer.authorizeConnect(ctx);
    for (const kind of ['shell', 'exec', 'sftp'] as const) expect(await authorizer.authorizeChannel(ctx, { kind })).toEqual({ allowed: true });
    for (const kind of ['port-forward', 'agent', 'x11'] as const) expect((await authorizer.authorizeChannel(ctx, { kind })).allowed).toBe(false);
    const strict = authorizerWith({ rules: { fileTransfer: false, portForwarding: true } });
    const strictCtx = context();
    await strict.authorizer.authorizeConnect(strictCtx);
    expect(await strict.authorizer.authorizeChannel(strictCtx, { kind: 'sftp' })).toEqual({ allowed: false, reason: 'file transfer (sftp/scp) is not allowed on ehr-db-01' });
    expect(await strict.authorizer.authorizeChannel(strictCtx, { kind: 'port-forward' })).toEqual({ allowed: true });
    expect((await strict.authorizer.authorizeChannel(strictCtx, { kind: 'agent' })).allowed).toBe(false);
  });

  it('turns the target rules into command control', () => {
    expect(toCommandControl(defaultSessionPolicy('low'))).toEqual({ mode: 'off' });
    expect(toCommandControl({ ...defaultSessionPolicy('low'), commandControl: 'deny' })).toEqual({ mode: 'deny' });
    expect(defaultSessionPolicy('critical')).toMatchObject({ requireSecondFactor: true, rotateAfterUse: true, idleTimeoutMinutes: 10 });
  });
});

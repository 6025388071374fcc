// A gateway wired to a private sshd with small in-memory stand-ins for identity, inventory/vault and policy
// (the real services implement the same interfaces). Shared by the integration tests and bench/ssh.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { createMemoryAuditLog, type MemoryAuditLog } from '../../src/audit/memory.js';
import { systemClock, type Clock } from '../../src/platform/clock.js';
import { createEventBus, type EventBus } from '../../src/platform/events.js';
import { secret } from '../../src/platform/secret.js';
import { createSshGateway, type SshGateway, type SshGatewayDeps } from '../../src/gateway/ssh/server.js';
import { createLocalRecordingKeys } from '../../src/recording/local-keys.js';
import type {
  CommandControl,
  GatewayAuthorizer,
  GatewayTargets,
  GatewayUsers,
  RecordingKeys,
  ResolvedTarget,
} from '../../src/gateway/ssh/types.js';
import { generateKey, type KeyPair, type TestSshd } from '../support/sshd.js';

export interface FixtureTarget {
  name: string;
  zone?: string;
  /** Pin this host key instead of the sshd's real one (host-key mismatch tests). */
  hostKeys?: string[];
  commandControl?: CommandControl;
  sftp?: boolean;
  idleTimeoutMs?: number;
  /** Another SSH server than the fixture's sshd (benchmarks use a light target for 1,000 idle sessions). */
  address?: { host: string; port: number; user: string; privateKey: string; hostPublicKey: string };
}

export interface GatewayFixture {
  gateway: SshGateway;
  port: number;
  audit: MemoryAuditLog;
  events: EventBus;
  keys: RecordingKeys;
  directory: string;
  recordingDirectory: string;
  aliceKey: KeyPair;
  strangerKey: KeyPair;
  knownHosts: string;
  totp: OTPAuth.TOTP;
  grants: Map<string, string>;
  stop(): Promise<void>;
}

export const ALICE = { id: 'user-alice', username: 'alice' };
export const ALICE_PASSWORD = 'correct horse battery staple';

export async function startGatewayFixture(
  sshd: TestSshd,
  targets: FixtureTarget[],
  options: { clock?: Clock; gateway?: Partial<SshGatewayDeps> } = {},
): Promise<GatewayFixture> {
  const directory = mkdtempSync(join(tmpdir(), 'ward-gw-'));
  const aliceKey = generateKey(directory, 'alice');
  const strangerKey = generateKey(directory, 'stranger');
  const aliceBlob = Buffer.from(aliceKey.publicKey.split(' ')[1]!, 'base64');
  const totp = new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ size: 20 }), digits: 6, period: 30 });
  const audit = createMemoryAuditLog();
  const events = createEventBus();
  const keys = createLocalRecordingKeys();
  const clock = options.clock ?? systemClock;
  /** target name → grant id: alice holds a grant for each target at the start. */
  const grants = new Map(targets.map((target) => [target.name, `grant-${target.name}`]));

  const users: GatewayUsers = {
    async authenticatePublicKey(username, key) {
      return username === ALICE.username && key.blob.equals(aliceBlob) ? { ...ALICE, mfaAt: clock.now() } : null;
    },
    async authenticatePassword(username, password, code) {
      if (username !== ALICE.username || password.reveal() !== ALICE_PASSWORD) return null;
      return totp.validate({ token: code, window: 1 }) === null ? null : { ...ALICE, mfaAt: clock.now() };
    },
  };
  const byName = new Map(targets.map((target) => [target.name, target]));
  const gatewayTargets: GatewayTargets = {
    async resolve(selection) {
      const target = byName.get(selection.target);
      if (!target) return null;
      const server = target.address ?? { ...sshd, privateKey: sshd.userKey.privateKey };
      if (selection.account && selection.account !== server.user) return null;
      const resolved: ResolvedTarget = {
        id: `target-${target.name}`,
        name: target.name,
        host: server.host,
        port: server.port,
        zone: target.zone ?? 'clinical',
        riskTier: 'high',
        hostKeys: target.hostKeys ?? [server.hostPublicKey],
      };
      return { target: resolved, account: { id: `account-${target.name}`, name: server.user } };
    },
    async credential(account) {
      const target = byName.get(account.id.replace(/^account-/, ''));
      return { kind: 'privateKey', privateKey: secret(target?.address?.privateKey ?? sshd.userKey.privateKey) };
    },
  };
  const authorizer: GatewayAuthorizer = {
    async authorizeConnect(context) {
      const grantId = grants.get(context.target.name);
      if (!grantId) return { allowed: false, reason: `no active grant for ${context.target.name}; request access with \`ward request\`` };
      const target = byName.get(context.target.name)!;
      return {
        allowed: true,
        grantId,
        policyIds: ['test-policy'],
        commandControl: target.commandControl,
        idleTimeoutMs: target.idleTimeoutMs,
      };
    },
    authorizeChannel(context, request) {
      const target = byName.get(context.target.name)!;
      if (request.kind === 'sftp' && target.sftp === false) {
        return { allowed: false, reason: `file transfer (sftp) is not allowed on ${target.name}` };
      }
      if (request.kind === 'port-forward' || request.kind === 'agent' || request.kind === 'x11') {
        return { allowed: false, reason: `${request.kind} is not allowed by policy` };
      }
      return { allowed: true };
    },
  };
  const recordingDirectory = join(directory, 'recordings');
  const gateway = createSshGateway({
    listen: { host: '127.0.0.1', port: 0 },
    hostKeyDirectory: join(directory, 'hostkey'),
    recordingDirectory,
    zones: ['clinical'],
    users,
    targets: gatewayTargets,
    authorizer,
    audit,
    recordingKeys: keys,
    events,
    clock,
    ...options.gateway,
  });
  const { port } = await gateway.start();
  const knownHosts = join(directory, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${gateway.hostPublicKey}\n`);
  return {
    gateway,
    port,
    audit,
    events,
    keys,
    directory,
    recordingDirectory,
    aliceKey,
    strangerKey,
    knownHosts,
    totp,
    grants,
    async stop() {
      await gateway.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

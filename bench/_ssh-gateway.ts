// Child process for bench/ssh.ts: runs the gateway alone so its RSS can be measured per session.
// Config arrives in WARD_BENCH_GATEWAY (JSON); replies over IPC.
import { startGatewayFixture, type FixtureTarget } from '../test/gateway/fixture.js';
import type { TestSshd } from '../test/support/sshd.js';

interface ChildConfig {
  sshd: { host: string; port: number; user: string; privateKeyPath: string; privateKey: string; hostPublicKey: string };
  targets: FixtureTarget[];
  cipher: string;
  kex: string;
}

const config = JSON.parse(process.env.WARD_BENCH_GATEWAY ?? '{}') as ChildConfig;
const sshd = {
  host: config.sshd.host,
  port: config.sshd.port,
  user: config.sshd.user,
  userKey: { privateKeyPath: config.sshd.privateKeyPath, privateKey: config.sshd.privateKey, publicKey: '' },
  hostPublicKey: config.sshd.hostPublicKey,
  directory: '',
  stop: async () => {},
} satisfies TestSshd;
const algorithms = { cipher: [config.cipher], kex: [config.kex], serverHostKey: ['ssh-ed25519'] } as never;
const fixture = await startGatewayFixture(sshd, config.targets, {
  gateway: { serverAlgorithms: algorithms, upstreamAlgorithms: algorithms, idleTimeoutMs: 0 },
});
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message: { type: string }) => {
  if (message.type === 'rss') {
    gc?.();
    setTimeout(() => {
      gc?.();
      process.send!({ type: 'rss', rss: process.memoryUsage().rss, sessions: fixture.gateway.sessions.list().length });
    }, 200);
  } else if (message.type === 'stop') {
    void fixture.stop().then(() => process.exit(0));
  }
});
process.send!({
  type: 'ready',
  port: fixture.port,
  aliceKeyPath: fixture.aliceKey.privateKeyPath,
  aliceKey: fixture.aliceKey.privateKey,
  knownHosts: fixture.knownHosts,
});

// SSH gateway against direct OpenSSH, side by side in one run, same sshd, same cipher and key exchange:
// bulk throughput with full recording, connection set-up, keystroke echo, 100 simultaneous set-ups,
// and the gateway's memory per idle session (the gateway runs in a child process so its RSS is its own).
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import { percentile, result, type BenchResult, type BenchSuite } from './harness.js';
import { clientOptions, startSshd, type TestSshd } from '../test/support/sshd.js';
import type { FixtureTarget } from '../test/gateway/fixture.js';

const KEX = 'curve25519-sha256';
const CIPHERS = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'];
const here = fileURLToPath(new URL('.', import.meta.url));

interface GatewayChild {
  process: ChildProcess;
  port: number;
  aliceKeyPath: string;
  aliceKey: string;
  knownHosts: string;
  rss(): Promise<{ rss: number; sessions: number }>;
  stop(): Promise<void>;
}

async function startGatewayChild(sshd: TestSshd, cipher: string, targets: FixtureTarget[]): Promise<GatewayChild> {
  const child = fork(join(here, '_ssh-gateway.ts'), [], {
    // The flags `ward serve` runs with (bin/ward.js, ADR 0009), so the bench measures the gateway as deployed.
    execArgv: ['--expose-gc', '--single-threaded-gc', '--import', 'tsx'],
    env: {
      ...process.env,
      WARD_LOG_LEVEL: 'silent',
      WARD_BENCH_GATEWAY: JSON.stringify({
        sshd: {
          host: sshd.host,
          port: sshd.port,
          user: sshd.user,
          privateKeyPath: sshd.userKey.privateKeyPath,
          privateKey: sshd.userKey.privateKey,
          hostPublicKey: sshd.hostPublicKey,
        },
        targets,
        cipher,
        kex: KEX,
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number; aliceKeyPath: string; aliceKey: string; knownHosts: string }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as never));
    child.once('exit', (code) => reject(new Error(`gateway child exited with ${code}`)));
  });
  return {
    process: child,
    ...ready,
    rss: () =>
      new Promise((resolve) => {
        const onMessage = (message: { type: string; rss: number; sessions: number }) => {
          if (message.type !== 'rss') return;
          child.off('message', onMessage);
          resolve(message);
        };
        child.on('message', onMessage);
        child.send({ type: 'rss' });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}

interface Route {
  name: string;
  args: (cipher: string) => string[];
  ssh2: (cipher: string) => ssh2.ConnectConfig;
}

function timeProcess(args: string[]): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => {
      if (code !== 0) process.stderr.write(`ssh exited ${code}: ${stderr}`);
      resolve({ ms: performance.now() - started, code });
    });
  });
}

function median(values: number[]): number {
  return percentile(values, 50);
}

async function echoSamples(config: ssh2.ConnectConfig, samples: number): Promise<number[]> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => client.once('ready', resolve).once('error', reject).connect(config));
  (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    client.exec('cat', (error, channel) => (error ? reject(error) : resolve(channel))),
  );
  const times: number[] = [];
  for (let i = 0; i < samples + 20; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      stream.once('data', () => resolve());
      stream.write('k');
    });
    if (i >= 20) times.push(performance.now() - started);
  }
  stream.end();
  client.end();
  return times;
}

/** A light SSH target (ssh2) for the 1,000-session test, so a thousand sshd processes do not swamp the machine. */
async function startIdleTarget(): Promise<{ port: number; user: string; privateKey: string; hostPublicKey: string; stop(): void }> {
  const host = ssh2.utils.generateKeyPairSync('ed25519');
  const user = ssh2.utils.generateKeyPairSync('ed25519');
  const userKey = ssh2.utils.parseKey(user.public);
  if (userKey instanceof Error) throw userKey;
  const server = new ssh2.Server({ hostKeys: [host.private] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.data.equals(userKey.getPublicSSH())) return ctx.accept();
      ctx.reject(['publickey']);
    });
    client.on('session', (accept) => {
      const session = accept();
      session.on('exec', (ok) => {
        const channel = ok();
        channel.on('data', (data: Buffer) => channel.write(data));
      });
    });
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const parsedHost = ssh2.utils.parseKey(host.public);
  if (parsedHost instanceof Error) throw parsedHost;
  return {
    port: (server.address() as { port: number }).port,
    user: 'svc',
    privateKey: user.private,
    hostPublicKey: `${parsedHost.type} ${parsedHost.getPublicSSH().toString('base64')}`,
    stop: () => server.close(),
  };
}

async function pool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

const suite: BenchSuite = async ({ quick }) => {
  const results: BenchResult[] = [];
  const sshd = await startSshd({ extraConfig: [`KexAlgorithms ${KEX}`, `Ciphers ${CIPHERS.join(',')}`, 'MaxStartups 400:30:800'] });
  const idleTarget = await startIdleTarget();
  const bulkMegabytes = quick ? 48 : 192;
  const bulkFile = join(sshd.directory, 'bulk.txt');
  // Terminal-like output: base64 text lines (what `cat` of a log or a dump looks like), not NUL bytes.
  spawnSync('sh', ['-c', `openssl rand -base64 ${Math.floor((bulkMegabytes * 1024 * 1024 * 3) / 4)} > ${bulkFile}`]);
  const directKnownHosts = join(sshd.directory, 'direct_known_hosts');
  writeFileSync(directKnownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
  const targets: FixtureTarget[] = [
    { name: 'bench' },
    { name: 'idle', address: { host: '127.0.0.1', ...idleTarget } },
  ];

  const children: GatewayChild[] = [];
  try {
    for (const cipher of CIPHERS) {
      const gateway = await startGatewayChild(sshd, cipher, targets);
      children.push(gateway);
      const shortName = cipher.split('@')[0]!;
      const common = ['-c', cipher, '-o', `KexAlgorithms=${KEX}`, '-o', 'HostKeyAlgorithms=ssh-ed25519'];
      const direct: Route = {
        name: 'direct OpenSSH',
        args: () => [
          ...clientOptions({ identityFile: sshd.userKey.privateKeyPath, knownHostsFile: directKnownHosts, port: sshd.port }),
          ...common, '-p', String(sshd.port), `${sshd.user}@127.0.0.1`,
        ],
        ssh2: () => ({ host: '127.0.0.1', port: sshd.port, username: sshd.user, privateKey: sshd.userKey.privateKey }),
      };
      const viaGateway: Route = {
        name: 'gateway',
        args: () => [
          ...clientOptions({ identityFile: gateway.aliceKeyPath, knownHostsFile: gateway.knownHosts, port: gateway.port }),
          ...common, '-p', String(gateway.port), 'alice+bench@127.0.0.1',
        ],
        ssh2: () => ({ host: '127.0.0.1', port: gateway.port, username: 'alice+bench', privateKey: gateway.aliceKey }),
      };

      // Bulk throughput: alternate direct and gateway runs so background load hits both alike.
      const rates: Record<string, number[]> = { direct: [], gateway: [] };
      for (let round = 0; round < (quick ? 2 : 3); round++) {
        for (const [key, route] of [['direct', direct], ['gateway', viaGateway]] as const) {
          const run = await timeProcess([...route.args(cipher), `cat ${bulkFile}`]);
          if (run.code === 0) rates[key]!.push(bulkMegabytes / (run.ms / 1000));
        }
      }
      const directRate = Math.max(...rates.direct!);
      const gatewayRate = Math.max(...rates.gateway!);
      results.push(
        result(`bulk throughput, full recording (${shortName})`, gatewayRate, 'MB/s', 'higher', { value: directRate, name: 'direct OpenSSH' }, '≥ 0.7 × direct'),
      );
      if (cipher !== CIPHERS[0]) continue;

      // Connection set-up: `ssh … true`, complete, one at a time.
      const setups: Record<string, number[]> = { direct: [], gateway: [] };
      for (let i = 0; i < (quick ? 10 : 30); i++) {
        for (const [key, route] of [['direct', direct], ['gateway', viaGateway]] as const) {
          const run = await timeProcess([...route.args(cipher), 'true']);
          if (run.code === 0) setups[key]!.push(run.ms);
        }
      }
      const setupDirect = median(setups.direct!);
      const setupGateway = median(setups.gateway!);
      results.push(result('connection set-up p50', setupGateway, 'ms', 'lower', { value: setupDirect, name: 'direct OpenSSH' }, '≤ direct + 15 ms'));
      results.push(result('added set-up p50', setupGateway - setupDirect, 'ms', 'lower', null, '≤ 15 ms'));

      // Keystroke echo: one byte to `cat` on the target and back, ssh2 as the client on both routes.
      const algorithms = { cipher: [cipher], kex: [KEX], serverHostKey: ['ssh-ed25519'] } as ssh2.Algorithms;
      const samples = quick ? 300 : 1000;
      const echoDirect = await echoSamples({ ...direct.ssh2(cipher), algorithms }, samples);
      const echoGateway = await echoSamples({ ...viaGateway.ssh2(cipher), algorithms }, samples);
      const p99Direct = percentile(echoDirect, 99);
      const p99Gateway = percentile(echoGateway, 99);
      results.push(result('keystroke echo p99', p99Gateway, 'ms', 'lower', { value: p99Direct, name: 'direct OpenSSH' }, '≤ direct + 3 ms'));
      results.push(result('added echo p99', p99Gateway - p99Direct, 'ms', 'lower', null, '≤ 3 ms'));
      results.push(result('added echo p50', percentile(echoGateway, 50) - percentile(echoDirect, 50), 'ms', 'lower'));

      // 100 simultaneous set-ups with real ssh clients, gateway and direct. On a 2-core machine 100 ssh processes
      // plus 100 sshd sessions queue for CPU for seconds; clientOptions gives the client 30 s for the banner.
      const simultaneous = 100;
      const storm: Record<string, { failures: number; p50: number }> = {};
      for (const [key, route] of [['direct', direct], ['gateway', viaGateway]] as const) {
        const runs = await Promise.all(
          Array.from({ length: simultaneous }, () => timeProcess(['-o', 'LogLevel=INFO', ...route.args(cipher), 'true'])),
        );
        storm[key] = { failures: runs.filter((run) => run.code !== 0).length, p50: median(runs.map((run) => run.ms)) };
      }
      results.push(result('100 simultaneous set-ups: failures', storm.gateway!.failures, 'failures', 'lower', { value: storm.direct!.failures, name: 'direct OpenSSH' }, '0'));
      results.push(result('100 simultaneous set-ups: p50 set-up', storm.gateway!.p50, 'ms', 'lower', { value: storm.direct!.p50, name: 'direct OpenSSH' }));

      // 1,000 mostly idle sessions (connection + exec channel each) held open through the gateway.
      const sessionCount = quick ? 300 : 1000;
      const warm = await gateway.rss();
      const clients: ssh2.Client[] = [];
      let openFailures = 0;
      await pool(sessionCount, 16, async () => {
        const client = new ssh2.Client();
        clients.push(client);
        try {
          await new Promise<void>((resolve, reject) => {
            client.once('ready', resolve).once('error', reject);
            client.connect({ host: '127.0.0.1', port: gateway.port, username: 'alice+idle', privateKey: gateway.aliceKey, algorithms, readyTimeout: 60_000 });
          });
          await new Promise<void>((resolve, reject) =>
            client.exec('idle', (error, channel) => {
              if (error) return reject(error);
              channel.once('data', () => resolve());
              channel.write('.');
            }),
          );
        } catch {
          openFailures += 1;
        }
      });
      const loaded = await gateway.rss();
      const perSession = (loaded.rss - warm.rss) / 1024 / (loaded.sessions || 1);
      results.push(result(`gateway RSS per idle session (${loaded.sessions} sessions)`, perSession, 'KB', 'lower', null, '≤ 200 KB'));
      results.push(result('idle sessions that failed to open', openFailures, 'failures', 'lower', null, '0'));
      for (const client of clients) client.end();
    }
  } finally {
    for (const child of children) await child.stop().catch(() => {});
    idleTarget.stop();
    await sshd.stop();
  }
  return results;
};

export default suite;

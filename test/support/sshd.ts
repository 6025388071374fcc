// A private OpenSSH server for tests and benchmarks: runs /usr/sbin/sshd -D on a free loopback port as the current
// user with its own config, host key and authorized_keys in a temp dir (the system's sshd is untouched).
// Also drives the real OpenSSH clients (ssh, scp, sftp) with options that never read the user's own files.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { noteSkipped } from './postgres.js';
import { freePort } from './ports.js';
export { freePort };

export const SSHD = '/usr/sbin/sshd';
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** True when OpenSSH's server and clients are installed; in CI their absence throws instead. */
export function sshAvailable(suite: string): boolean {
  const present = existsSync(SSHD) && spawnSync('ssh', ['-V']).status === 0;
  if (!present) {
    if (inCi) throw new Error(`OpenSSH (sshd, ssh) is required in CI for ${suite}`);
    noteSkipped(suite, 'OpenSSH server (/usr/sbin/sshd) not installed');
  }
  return present;
}


export interface KeyPair {
  privateKeyPath: string;
  privateKey: string;
  publicKey: string;
}

/** An OpenSSH key pair generated with ssh-keygen (no passphrase). */
export function generateKey(directory: string, name: string, type: 'ed25519' | 'rsa' = 'ed25519'): KeyPair {
  const path = join(directory, name);
  const result = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr.toString()}`);
  chmodSync(path, 0o600);
  return { privateKeyPath: path, privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export interface TestSshd {
  host: string;
  port: number;
  /** The login name sshd accepts (the current user). */
  user: string;
  /** The key authorised to log in, as the vault would hold it. */
  userKey: KeyPair;
  /** The server's host key in OpenSSH public form (`ssh-ed25519 AAAA…`), for pinning. */
  hostPublicKey: string;
  directory: string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Extra sshd_config lines (e.g. Ciphers, KexAlgorithms, MaxStartups). */
  extraConfig?: string[];
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const directory = mkdtempSync(join(tmpdir(), 'ward-sshd-'));
  chmodSync(directory, 0o700);
  const hostKey = generateKey(directory, 'ssh_host_ed25519_key');
  const userKey = generateKey(directory, 'target_user_key');
  writeFileSync(join(directory, 'authorized_keys'), `${userKey.publicKey}\n`, { mode: 0o600 });
  const port = await freePort();
  const user = userInfo().username;
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey.privateKeyPath}`,
    `PidFile ${join(directory, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(directory, 'authorized_keys')}`,
    'UsePAM no',
    'StrictModes no',
    // Tests run as root in CI containers; only the key above can log in.
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'LogLevel ERROR',
    'MaxStartups 200:30:400',
    'MaxSessions 50',
    'AcceptEnv LANG LC_* WARD_*',
    'Subsystem sftp internal-sftp',
    ...(options.extraConfig ?? []),
  ];
  // As root, sshd insists on its compiled-in privilege-separation directory (the Debian unit creates it at boot).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const configPath = join(directory, 'sshd_config');
  writeFileSync(configPath, `${config.join('\n')}\n`);
  const check = spawnSync(SSHD, ['-t', '-f', configPath]);
  if (check.status !== 0) throw new Error(`sshd rejected its config: ${check.stderr.toString()}`);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await waitForPort(port, () => (child.exitCode !== null ? `sshd exited: ${stderr}` : undefined));
  return {
    host: '127.0.0.1',
    port,
    user,
    userKey,
    hostPublicKey: readFileSync(`${hostKey.privateKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' '),
    directory,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, failed: () => string | undefined): Promise<void> {
  const { connect } = await import('node:net');
  for (let attempt = 0; attempt < 200; attempt++) {
    const problem = failed();
    if (problem) throw new Error(problem);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`sshd did not listen on ${port}`);
}

/** Options for the real OpenSSH clients: our key only, our known_hosts only, never a prompt. */
export function clientOptions(input: { identityFile: string; knownHostsFile: string; port: number; extra?: string[] }): string[] {
  return [
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${input.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no',
    '-o', 'LogLevel=ERROR',
    '-o', 'ConnectTimeout=30',
    '-F', '/dev/null',
    '-i', input.identityFile,
    ...(input.extra ?? []),
  ];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client to completion with optional stdin. */
export function run(command: string, args: string[], input?: string | Buffer, options: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }),
    );
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

// A private OpenSSH server: /usr/sbin/sshd -D on a loopback port as the current user, with its own config, host key
// and authorized_keys in a directory Ward owns. The system's sshd is never touched. `ward demo` uses it as a working
// SSH target; the test suites and benchmarks use it as the real target behind the gateway.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface KeyPair {
  privateKeyPath: string;
  privateKey: string;
  publicKey: string;
}

/** True when OpenSSH's server (and ssh-keygen, which it depends on) is installed. */
export function sshdInstalled(): boolean {
  return existsSync(SSHD) && spawnSync('ssh-keygen', ['-?']).error === undefined;
}

/** An OpenSSH key pair made by ssh-keygen (no passphrase); an existing pair at the path is reused. */
export function ensureKeyPair(directory: string, name: string, type: 'ed25519' | 'rsa' = 'ed25519'): KeyPair {
  const path = join(directory, name);
  if (!existsSync(path) || !existsSync(`${path}.pub`)) {
    const result = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
    if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr.toString()}`);
  }
  chmodSync(path, 0o600);
  return { privateKeyPath: path, privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export interface PrivateSshd {
  host: string;
  port: number;
  /** The login name sshd accepts (the current user). */
  user: string;
  /** The key authorised to log in. */
  userKey: KeyPair;
  /** The server's host key in OpenSSH public form (`ssh-ed25519 AAAA…`), for pinning. */
  hostPublicKey: string;
  directory: string;
  stop(): Promise<void>;
}

export interface PrivateSshdOptions {
  /** Where config, keys and the pid file live (created 0700; keys are kept across restarts). */
  directory: string;
  port: number;
  /** Extra sshd_config lines (e.g. Ciphers, KexAlgorithms, MaxStartups). */
  extraConfig?: string[];
}

export async function startPrivateSshd(options: PrivateSshdOptions): Promise<PrivateSshd> {
  const { directory, port } = options;
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  chmodSync(directory, 0o700);
  const hostKey = ensureKeyPair(directory, 'ssh_host_ed25519_key');
  const userKey = ensureKeyPair(directory, 'target_user_key');
  writeFileSync(join(directory, 'authorized_keys'), `${userKey.publicKey}\n`, { mode: 0o600 });
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey.privateKeyPath}`,
    `PidFile ${join(directory, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(directory, 'authorized_keys')}`,
    'UsePAM no',
    'StrictModes no',
    // As root (CI containers) only the key above can log in.
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
  stopLeftover(join(directory, 'sshd.pid'), configPath);
  writeFileSync(configPath, `${config.join('\n')}\n`, { mode: 0o600 });
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
    user: userInfo().username,
    userKey,
    hostPublicKey: readFileSync(`${hostKey.privateKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' '),
    directory,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An sshd left running from this directory by a Ward that was killed (not stopped) is stopped first. */
function stopLeftover(pidFile: string, configPath: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    // Only our own sshd: its command line names this directory's config file.
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(configPath)) process.kill(pid, 'SIGTERM');
  } catch {
    /* gone already */
  }
}

async function waitForPort(port: number, failed: () => string | undefined): Promise<void> {
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

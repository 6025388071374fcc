// A private OpenSSH server for tests and benchmarks: runs /usr/sbin/sshd -D on a free loopback port as the current
// user with its own config, host key and authorized_keys in a temp dir (the system's sshd is untouched).
// Also drives the real OpenSSH clients (ssh, scp, sftp) with options that never read the user's own files.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noteSkipped } from './postgres.js';
import { freePort } from './ports.js';
import { SSHD, ensureKeyPair, startPrivateSshd, type KeyPair, type PrivateSshd } from '../../src/server/private-sshd.js';
export { freePort, SSHD };

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


export type { KeyPair };

/** A fresh OpenSSH key pair generated with ssh-keygen (no passphrase). */
export function generateKey(directory: string, name: string, type: 'ed25519' | 'rsa' = 'ed25519'): KeyPair {
  rmSync(join(directory, name), { force: true });
  rmSync(join(directory, `${name}.pub`), { force: true });
  return ensureKeyPair(directory, name, type);
}

export type TestSshd = PrivateSshd;

export interface SshdOptions {
  /** Extra sshd_config lines (e.g. Ciphers, KexAlgorithms, MaxStartups). */
  extraConfig?: string[];
}

/** The same private sshd `ward demo` runs, in a temp dir removed on stop. */
export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const directory = mkdtempSync(join(tmpdir(), 'ward-sshd-'));
  const sshd = await startPrivateSshd({ directory, port: await freePort(), ...(options.extraConfig ? { extraConfig: options.extraConfig } : {}) });
  return {
    ...sshd,
    async stop() {
      await sshd.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
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

/** clientOptions for a login that answers Ward's keyboard-interactive prompts (password, one-time code). */
export function interactiveOptions(options: string[]): string[] {
  return options.map((option) =>
    option === 'BatchMode=yes' ? 'BatchMode=no' : option === 'KbdInteractiveAuthentication=no' ? 'KbdInteractiveAuthentication=yes' : option,
  );
}

/**
 * An environment in which real OpenSSH answers keyboard-interactive prompts without a terminal: SSH_ASKPASS (forced)
 * runs a script that prints the password for a password prompt and the code for a one-time-code prompt.
 */
export function askpassEnv(directory: string, answers: { password: string; code: string }): NodeJS.ProcessEnv {
  writeFileSync(join(directory, 'askpass-password'), answers.password, { mode: 0o600 });
  writeFileSync(join(directory, 'askpass-code'), answers.code, { mode: 0o600 });
  const script = join(directory, 'askpass.sh');
  writeFileSync(script, `#!/bin/sh\ncase "$1" in\n  *assword*) cat '${directory}/askpass-password' ;;\n  *code*) cat '${directory}/askpass-code' ;;\n  *) exit 1 ;;\nesac\n`, { mode: 0o700 });
  return { ...process.env, SSH_ASKPASS: script, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' };
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

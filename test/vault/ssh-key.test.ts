// Generated SSH keys must be readable by the tools that use them: OpenSSH's ssh-keygen and ssh2 (the gateway).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateSshKey, inspectSecret } from '../../src/vault/secret-kinds.js';

describe('generated ed25519 SSH keys', () => {
  it('parse in ssh2 and ssh-keygen, whose public half matches the stored metadata', () => {
    const { privateKey, metadata } = generateSshKey('ward-test');
    const parsed = ssh2.utils.parseKey(privateKey);
    if (parsed instanceof Error) throw parsed;
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    expect(key.type).toBe('ssh-ed25519');
    const signature = key.sign(Buffer.from('challenge'));
    expect(key.verify(Buffer.from('challenge'), signature)).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), 'ward-ssh-')), 'id_ed25519');
    writeFileSync(file, privateKey, { mode: 0o600 });
    const publicKey = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    expect(String(metadata.publicKey).startsWith(publicKey.split(' ').slice(0, 2).join(' '))).toBe(true);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
    expect(fingerprint).toContain(String(metadata.fingerprint));
    // A supplied OpenSSH key yields the same metadata as the generated one.
    expect(inspectSecret('ssh-key', privateKey)).toMatchObject({ algorithm: 'ed25519', fingerprint: metadata.fingerprint });
  });
});

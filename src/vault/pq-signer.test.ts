import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMlDsaSigner, loadOrCreateAuditMlDsaSigner, loadOrCreateMlDsaSigner, mlDsaVerifier, verifyMlDsa65 } from './pq-signer.js';
import { readFileSync } from 'node:fs';

describe('ML-DSA-65 checkpoint signer', () => {
  it('signs so that the public key alone verifies, and rejects any change to message or signature', () => {
    const signer = createMlDsaSigner();
    const message = new TextEncoder().encode('checkpoint 1000 head=abc');
    const signature = signer.sign(message);
    expect(signer.algorithm).toBe('ML-DSA-65');
    expect(signature.length).toBe(3309);
    expect(verifyMlDsa65(signer.publicKey, message, signature)).toBe(true);
    expect(signer.verify(new TextEncoder().encode('checkpoint 1000 head=abd'), signature)).toBe(false);
    const forged = Uint8Array.from(signature);
    forged[10] = forged[10]! ^ 1;
    expect(signer.verify(message, forged)).toBe(false);
    expect(verifyMlDsa65(createMlDsaSigner().publicKey, message, signature)).toBe(false);
  });

  it('keeps the same key id across restarts from its 0600 seed file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ward-mldsa-')), 'audit-mldsa65.key');
    const first = loadOrCreateMlDsaSigner(path);
    const second = loadOrCreateMlDsaSigner(path);
    expect(second.keyId).toBe(first.keyId);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('writes the audit key pair under keys/ and verifies from the published public key alone', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ward-mldsa-'));
    const signer = loadOrCreateAuditMlDsaSigner(dataDir);
    const published = Buffer.from(readFileSync(join(dataDir, 'keys', 'audit-mldsa65.pub'), 'utf8').trim(), 'base64');
    const verifier = mlDsaVerifier(published);
    const message = new TextEncoder().encode('{"sequence":42}');
    expect(verifier.keyId).toBe(signer.keyId);
    expect(signer.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(verifier.verify(message, signer.sign(message))).toBe(true);
    expect(statSync(join(dataDir, 'keys', 'audit-mldsa65.key')).mode & 0o777).toBe(0o600);
  });
});

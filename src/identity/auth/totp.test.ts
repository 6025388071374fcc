import { describe, expect, it } from 'vitest';
import { matchTotpStep, openFactorSecret, sealFactorSecret, totpCode, type TotpAlgorithm } from './totp.js';

// RFC 6238 appendix B: seeds are the ASCII digits repeated to the hash's block size.
const seeds: Record<TotpAlgorithm, Uint8Array> = {
  SHA1: new TextEncoder().encode('12345678901234567890'),
  SHA256: new TextEncoder().encode('12345678901234567890123456789012'),
  SHA512: new TextEncoder().encode('1234567890123456789012345678901234567890123456789012345678901234'),
};
const vectors: [number, string, TotpAlgorithm][] = [
  [59, '94287082', 'SHA1'],
  [59, '46119246', 'SHA256'],
  [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'],
  [1111111109, '68084774', 'SHA256'],
  [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'],
  [1111111111, '67062674', 'SHA256'],
  [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'],
  [1234567890, '91819424', 'SHA256'],
  [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'],
  [2000000000, '90698825', 'SHA256'],
  [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'],
  [20000000000, '77737706', 'SHA256'],
  [20000000000, '47863826', 'SHA512'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(vectors)('at T=%i generates %s with %s and 8 digits', (seconds, expected, algorithm) => {
    const parameters = { algorithm, digits: 8, period: 30 };
    expect(totpCode(seeds[algorithm], seconds * 1000, parameters)).toBe(expected);
    expect(matchTotpStep(seeds[algorithm], expected, seconds * 1000, 0, parameters)).toBe(Math.floor(seconds / 30));
  });

  it('accepts the previous and next step but nothing further away', () => {
    const secret = seeds.SHA1;
    const now = 1_800_000_000_000;
    const step = Math.floor(now / 30_000);
    expect(matchTotpStep(secret, totpCode(secret, now - 30_000), now)).toBe(step - 1);
    expect(matchTotpStep(secret, totpCode(secret, now + 30_000), now)).toBe(step + 1);
    expect(matchTotpStep(secret, totpCode(secret, now - 60_000), now)).toBeNull();
    expect(matchTotpStep(secret, totpCode(secret, now + 60_000), now)).toBeNull();
  });

  it('refuses codes that are not six digits', () => {
    const now = 1_800_000_000_000;
    const code = totpCode(seeds.SHA1, now);
    expect(matchTotpStep(seeds.SHA1, `${code}0`, now)).toBeNull();
    expect(matchTotpStep(seeds.SHA1, "' OR 1=1 --", now)).toBeNull();
    expect(matchTotpStep(seeds.SHA1, '', now)).toBeNull();
  });

  it('seals secrets so the stored bytes do not contain them and opens them again', () => {
    const key = new Uint8Array(32).fill(3);
    const sealed = sealFactorSecret(seeds.SHA1, key);
    expect(Buffer.from(sealed).includes(Buffer.from(seeds.SHA1))).toBe(false);
    expect(openFactorSecret(sealed, key)).toEqual(seeds.SHA1);
    const tampered = Uint8Array.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => openFactorSecret(tampered, key)).toThrow();
  });
});

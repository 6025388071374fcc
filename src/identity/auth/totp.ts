// TOTP (RFC 6238): secrets, otpauth URIs, and verification that reports the matched time step so replays can be refused.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Secret as OtpSecret, TOTP } from 'otpauth';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpParameters {
  algorithm: TotpAlgorithm;
  digits: number;
  period: number;
}

/** What authenticator apps understand best; RFC 6238's defaults. */
export const defaultTotp: TotpParameters = { algorithm: 'SHA1', digits: 6, period: 30 };

export function newTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(20));
}

export function totpUri(secret: Uint8Array, account: string, issuer: string, parameters = defaultTotp): string {
  return new TOTP({
    issuer,
    label: account,
    secret: new OtpSecret({ buffer: Uint8Array.from(secret).buffer }),
    ...parameters,
  }).toString();
}

export function base32(secret: Uint8Array): string {
  return new OtpSecret({ buffer: Uint8Array.from(secret).buffer }).base32;
}

export function totpCode(secret: Uint8Array, timestampMs: number, parameters = defaultTotp): string {
  return TOTP.generate({
    secret: new OtpSecret({ buffer: Uint8Array.from(secret).buffer }),
    timestamp: timestampMs,
    ...parameters,
  });
}

/**
 * Returns the RFC 6238 time step the code belongs to (current step ±window), or null when it matches none.
 * The caller refuses a step at or below the last one accepted, so a code works once.
 */
export function matchTotpStep(
  secret: Uint8Array,
  code: string,
  timestampMs: number,
  window = 1,
  parameters = defaultTotp,
): number | null {
  if (!new RegExp(`^\\d{${parameters.digits}}$`).test(code)) return null;
  const delta = TOTP.validate({
    token: code,
    secret: new OtpSecret({ buffer: Uint8Array.from(secret).buffer }),
    timestamp: timestampMs,
    window,
    ...parameters,
  });
  if (delta === null) return null;
  return TOTP.counter({ period: parameters.period, timestamp: timestampMs }) + delta;
}

/** Seals a factor secret with AES-256-GCM (version byte, 12-byte nonce, tag, ciphertext); no key → stored as is. */
export function sealFactorSecret(secret: Uint8Array, key: Uint8Array | undefined): Uint8Array {
  if (!key) return Buffer.concat([Buffer.from([0]), Buffer.from(secret)]);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(secret), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), nonce, cipher.getAuthTag(), body]);
}

export function openFactorSecret(sealed: Uint8Array, key: Uint8Array | undefined): Uint8Array {
  const bytes = Buffer.from(sealed);
  if (bytes[0] === 0) return new Uint8Array(bytes.subarray(1));
  if (!key) throw new Error('factor secret is sealed but no factor key is configured');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(1, 13));
  decipher.setAuthTag(bytes.subarray(13, 29));
  return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(29)), decipher.final()]));
}

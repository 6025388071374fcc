// WebAuthn / passkeys (phishing-resistant MFA) through @simplewebauthn/server: option generation and verification
// against the relying party configured for this deployment. Challenges are kept by the caller (auth_challenges).
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { WardError } from '../../platform/errors.js';

export interface RelyingParty {
  rpId: string;
  rpName: string;
  origins: string[];
}

export interface StoredCredential {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
}

export async function registrationOptions(
  rp: RelyingParty,
  user: { id: string; username: string; displayName: string },
  existing: { credentialId: string; transports: string[] }[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    userName: user.username,
    userDisplayName: user.displayName,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    timeout: 120_000,
  });
}

export async function verifyRegistration(rp: RelyingParty, response: unknown, expectedChallenge: string): Promise<StoredCredential> {
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.rpId,
      requireUserVerification: false,
    });
  } catch (error) {
    throw new WardError('AUTH_MFA_INVALID', `The passkey registration was not accepted: ${(error as Error).message}`);
  }
  if (!verification.verified) throw new WardError('AUTH_MFA_INVALID', 'The passkey registration was not accepted.');
  const credential = verification.registrationInfo.credential;
  return { credentialId: credential.id, publicKey: credential.publicKey, counter: credential.counter, transports: credential.transports ?? [] };
}

export async function authenticationOptions(
  rp: RelyingParty,
  allowed: { credentialId: string; transports: string[] }[] | undefined,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    ...(allowed ? { allowCredentials: allowed.map((c) => ({ id: c.credentialId, transports: c.transports })) } : {}),
    userVerification: allowed ? 'preferred' : 'required',
    timeout: 120_000,
  });
}

/** Returns the new signature counter; throws AUTH_MFA_INVALID on any mismatch (origin, rpId, challenge, signature). */
export async function verifyAuthentication(
  rp: RelyingParty,
  response: unknown,
  expectedChallenge: string,
  credential: StoredCredential,
  requireUserVerification: boolean,
): Promise<number> {
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.rpId,
      credential: { id: credential.credentialId, publicKey: new Uint8Array(credential.publicKey), counter: credential.counter, transports: credential.transports },
      requireUserVerification,
    });
  } catch (error) {
    throw new WardError('AUTH_MFA_INVALID', `The passkey was not accepted: ${(error as Error).message}`);
  }
  if (!verification.verified) throw new WardError('AUTH_MFA_INVALID', 'The passkey was not accepted.');
  return verification.authenticationInfo.newCounter;
}

/** The credential id a browser response names (base64url), or null when the shape is wrong. */
export function responseCredentialId(response: unknown): string | null {
  const id = (response as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 1024 ? id : null;
}

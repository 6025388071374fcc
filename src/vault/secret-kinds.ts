// The kinds of secret the vault holds, how each is generated and checked, and the non-secret metadata kept beside it
// (public key and fingerprint, certificate subject and expiry) so listing never needs a decrypt.
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomInt } from 'node:crypto';
import { WardError } from '../platform/errors.js';
import { randomToken } from '../platform/ids.js';
import { defaultPasswordPolicy, type PasswordPolicy } from '../inventory/types.js';

export const secretKinds = ['password', 'ssh-key', 'certificate', 'api-token'] as const;
export type SecretKind = (typeof secretKinds)[number];

export type SecretMetadata = Record<string, string | number>;

const classes = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  symbols: '!#$%&()*+,-./:;<=>?@[]^_{|}~',
} as const;

/** A password drawn uniformly from the allowed alphabet, with at least one character of every enabled class. */
export function generatePassword(policy: PasswordPolicy = defaultPasswordPolicy): string {
  const excluded = new Set(policy.exclude);
  const pools = (Object.keys(classes) as Array<keyof typeof classes>)
    .filter((name) => policy[name])
    .map((name) => [...classes[name]].filter((c) => !excluded.has(c)))
    .filter((pool) => pool.length > 0);
  if (pools.length === 0) throw new WardError('VALIDATION_FAILED', 'The password policy leaves no characters to generate from.');
  if (policy.length < pools.length) throw new WardError('VALIDATION_FAILED', 'The password policy is shorter than its required character classes.');
  const alphabet = pools.flat();
  const chars = pools.map((pool) => pool[randomInt(pool.length)]!);
  while (chars.length < policy.length) chars.push(alphabet[randomInt(alphabet.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

function sshString(value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

function sshFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A fresh ed25519 key in OpenSSH's private-key format (what ssh, sshd and ssh2 read), with its public half. */
export function generateSshKey(comment = 'ward'): { privateKey: string; metadata: SecretMetadata } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomInt(0x7fffffff);
  let body = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (body.length + pad.length) % 8 !== 0; i++) pad.push(i);
  body = Buffer.concat([body, Buffer.from(pad)]);
  const blob = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(body),
  ]);
  const lines = blob.toString('base64').match(/.{1,70}/g)!;
  const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  return {
    privateKey: pem,
    metadata: {
      algorithm: 'ed25519',
      publicKey: `ssh-ed25519 ${publicBlob.toString('base64')} ${comment}`,
      fingerprint: sshFingerprint(publicBlob),
    },
  };
}

function invalid(message: string): WardError {
  return new WardError('VALIDATION_FAILED', message);
}

/** Reads the public half out of an OpenSSH private key (its header is not encrypted even when the key is). */
function openSshMetadata(pem: string): SecretMetadata {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(pem);
  if (!match) throw invalid('The SSH key is not in OpenSSH or PEM private-key format.');
  const blob = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (blob.subarray(0, magic.length).toString('latin1') !== magic) throw invalid('The SSH key is not an OpenSSH private key.');
  let offset = magic.length;
  const read = () => {
    if (offset + 4 > blob.length) throw invalid('The SSH key is truncated.');
    const length = blob.readUInt32BE(offset);
    const value = blob.subarray(offset + 4, offset + 4 + length);
    if (value.length !== length) throw invalid('The SSH key is truncated.');
    offset += 4 + length;
    return value;
  };
  const cipher = read().toString();
  read(); // kdf name
  read(); // kdf options
  offset += 4; // number of keys
  const publicBlob = read();
  const algorithm = publicBlob.subarray(4, 4 + publicBlob.readUInt32BE(0)).toString();
  return {
    algorithm: algorithm.replace(/^ssh-/, ''),
    publicKey: `${algorithm} ${publicBlob.toString('base64')}`,
    fingerprint: sshFingerprint(publicBlob),
    ...(cipher !== 'none' ? { passphraseProtected: 1 } : {}),
  };
}

/** Checks a supplied value for its kind and returns the metadata to keep in clear. */
export function inspectSecret(kind: SecretKind, value: string): SecretMetadata {
  switch (kind) {
    case 'password':
      if (value.length === 0) throw invalid('The password is empty.');
      return {};
    case 'api-token':
      if (value.trim().length === 0) throw invalid('The API token is empty.');
      return {};
    case 'ssh-key': {
      if (value.includes('BEGIN OPENSSH PRIVATE KEY')) return openSshMetadata(value);
      try {
        const key = createPrivateKey(value);
        const der = key.export({ format: 'der', type: 'spki' } as never) as unknown as Buffer;
        return { algorithm: key.asymmetricKeyType ?? 'unknown', fingerprint: `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}` };
      } catch {
        throw invalid('The SSH key is not in OpenSSH or PEM private-key format.');
      }
    }
    case 'certificate': {
      const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(value);
      const key = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(value);
      if (!certificate || !key) throw invalid('A certificate secret is a PEM bundle holding one CERTIFICATE and its PRIVATE KEY.');
      let x509: X509Certificate;
      try {
        x509 = new X509Certificate(certificate[0]);
        const privateKey = createPrivateKey(key[0]);
        if (!x509.checkPrivateKey(privateKey)) throw invalid('The private key does not belong to the certificate.');
      } catch (error) {
        if (error instanceof WardError) throw error;
        throw invalid('The certificate or its private key does not parse.');
      }
      return {
        subject: x509.subject.replace(/\n/g, ', '),
        issuer: x509.issuer.replace(/\n/g, ', '),
        notAfter: Date.parse(x509.validTo),
        keyAlgorithm: x509.publicKey.asymmetricKeyType ?? 'unknown',
        fingerprint: x509.fingerprint256,
      };
    }
  }
}

/** Makes a fresh value of a kind; certificates need a CA and are supplied, not generated. */
export function generateSecret(kind: SecretKind, policy: PasswordPolicy | null): { value: string; metadata: SecretMetadata } {
  switch (kind) {
    case 'password':
      return { value: generatePassword(policy ?? defaultPasswordPolicy), metadata: {} };
    case 'api-token':
      return { value: randomToken(32), metadata: {} };
    case 'ssh-key': {
      const key = generateSshKey();
      return { value: key.privateKey, metadata: key.metadata };
    }
    case 'certificate':
      throw invalid('Certificates are issued by a CA; supply the PEM bundle (certificate and private key) as the value.');
  }
}

// The data directory: created 0700, holding the vault's local key file (0600, src/vault/file-key-provider.ts), the TLS pair when WARD_TLS=auto,
// the SQLite store by default, and later recordings and key material of other domains.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { WardConfig } from '../platform/config.js';
import { WardError } from '../platform/errors.js';

function tlsPaths(dataDir: string) {
  return { tlsDir: join(dataDir, 'tls'), tlsCert: join(dataDir, 'tls', 'cert.pem'), tlsKey: join(dataDir, 'tls', 'key.pem') };
}

export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by umask and ignored for existing folders; make it exact.
  chmodSync(dataDir, 0o700);
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  chmodSync(join(dataDir, 'keys'), 0o700);
}

/** The TLS pair the HTTP server uses: configured files, or a self-signed pair generated once (WARD_TLS=auto). */
export async function ensureTls(config: WardConfig): Promise<{ cert: string; key: string } | undefined> {
  if (config.tls.mode === 'off') return undefined;
  if (config.tls.mode === 'files') {
    try {
      return { cert: readFileSync(config.tls.certFile, 'utf8'), key: readFileSync(config.tls.keyFile, 'utf8') };
    } catch (error) {
      throw new WardError('VALIDATION_FAILED', `cannot read WARD_TLS_CERT/WARD_TLS_KEY: ${(error as Error).message}`);
    }
  }
  const paths = tlsPaths(config.dataDir);
  if (!existsSync(paths.tlsCert) || !existsSync(paths.tlsKey)) {
    mkdirSync(paths.tlsDir, { recursive: true, mode: 0o700 });
    const host = new URL(config.publicUrl).hostname;
    const pems = await generate([{ name: 'commonName', value: host }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: host }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    });
    writeFileSync(paths.tlsKey, pems.private, { mode: 0o600 });
    writeFileSync(paths.tlsCert, pems.cert, { mode: 0o644 });
  }
  return { cert: readFileSync(paths.tlsCert, 'utf8'), key: readFileSync(paths.tlsKey, 'utf8') };
}

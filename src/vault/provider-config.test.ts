import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyProvider, keyProviderSettings } from './provider-config.js';

describe('key provider settings', () => {
  it('defaults to the key file in the data directory', () => {
    const settings = keyProviderSettings('/var/lib/ward', {});
    expect(settings).toEqual({ kind: 'file', keyFile: '/var/lib/ward/vault-kek.json' });
    expect(createKeyProvider(settings).id).toBe('file');
  });

  it('reads the PKCS#11 PIN from a file and refuses an incomplete PKCS#11 setup', () => {
    const pinFile = join(mkdtempSync(join(tmpdir(), 'ward-pin-')), 'pin');
    writeFileSync(pinFile, '123456\n');
    const settings = keyProviderSettings('/d', { WARD_KEY_PROVIDER: 'pkcs11', WARD_PKCS11_TOKEN: 'ward', WARD_PKCS11_PIN_FILE: pinFile });
    expect(settings.pkcs11).toMatchObject({ tokenLabel: 'ward', pin: '123456' });
    expect(createKeyProvider(settings).id).toBe('pkcs11');
    expect(() => keyProviderSettings('/d', { WARD_KEY_PROVIDER: 'pkcs11', WARD_PKCS11_TOKEN: 'ward' })).toThrow(/WARD_PKCS11_PIN/);
    expect(() => keyProviderSettings('/d', { WARD_KEY_PROVIDER: 'vault' })).toThrow(/file" or "pkcs11/);
  });
});

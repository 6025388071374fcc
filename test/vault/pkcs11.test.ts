// Against a real SoftHSM2 token created for this file: KEKs generated in the token, non-extractable, and
// every wrap/unwrap done there; a wrong PIN or an absent token is KEY_UNAVAILABLE.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachDialect, noteSkipped } from '../support/dialects.js';
import { admin, alice, buildVault, seedAccount } from './fixtures.js';
import { secret } from '../../src/platform/secret.js';
import { isWardError } from '../../src/platform/errors.js';
import { createPkcs11KeyProvider } from '../../src/vault/pkcs11-key-provider.js';

export const softhsmModule = process.env.WARD_TEST_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const available = existsSync(softhsmModule) && (() => {
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!available && inCi) throw new Error(`SoftHSM2 is required in CI (${softhsmModule} / softhsm2-util missing)`);
if (!available) noteSkipped('vault PKCS#11', 'SoftHSM2 not installed');

const PIN = '246813';
const tokenLabel = 'ward-test';
if (available) {
  const dir = mkdtempSync(join(tmpdir(), 'ward-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // The module reads this once, at C_Initialize, which happens on first use below.
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', PIN, '--so-pin', '135792'], { stdio: 'ignore' });
}

const reveal = new Set(['vault.secrets.reveal']);

if (available) {
  // First, before anything logs in: PKCS#11 login state is per process, so a wrong PIN is only refused then.
  describe('PKCS#11 provider before login', () => {
    it('reports a wrong PIN and an absent token as KEY_UNAVAILABLE without the PIN', async () => {
      const kek = { version: 1, reference: 'ward-kek-1' };
      const wrongPin = createPkcs11KeyProvider({ modulePath: softhsmModule, tokenLabel, pin: '000000' });
      const absent = createPkcs11KeyProvider({ modulePath: softhsmModule, tokenLabel: 'no-such-token', pin: PIN });
      for (const p of [wrongPin, absent]) {
        const error = await p.check(kek).catch((e: unknown) => e);
        expect(isWardError(error, 'KEY_UNAVAILABLE')).toBe(true);
        expect((error as Error).message).not.toContain(PIN);
        expect((error as Error).message).not.toContain('000000');
      }
      expect(String(await wrongPin.check(kek).catch((e: unknown) => e))).toMatch(/PIN was refused/);
      const missingModule = createPkcs11KeyProvider({ modulePath: '/nonexistent/libpkcs11.so', tokenLabel, pin: PIN });
      await expect(missingModule.check(kek)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    });
  });

  describeEachDialect('vault on a PKCS#11 HSM (SoftHSM2)', (ctx) => {
    const provider = createPkcs11KeyProvider({ modulePath: softhsmModule, tokenLabel, pin: PIN, labelPrefix: `ward-kek-${ctx.dialect}-` });
    let env: Awaited<ReturnType<typeof buildVault>>;
    beforeAll(async () => {
      env = await buildVault(ctx.database.db, { provider });
    });

    it('round-trips secrets with the KEK generated inside the token as sensitive and non-extractable', async () => {
      const { account } = await seedAccount(env.inventory);
      const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'password', value: secret('In-The-HSM-42') }, admin);
      expect((await env.vault.reveal({ secretId: stored.id, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).reveal()).toBe('In-The-HSM-42');
      const [kek] = await env.vault.listKeks();
      expect(kek).toMatchObject({ provider: 'pkcs11', state: 'active' });
      const attributes = await provider.inspectKek({ version: 1, reference: `ward-kek-${ctx.dialect}-1` });
      expect(attributes).toEqual({ extractable: false, sensitive: true, valueReadable: false });
      const inventory = await env.vault.cryptoInventory();
      expect(inventory.find((e) => e.category === 'key-encryption-key')).toMatchObject({ provider: 'pkcs11', objects: 1 });
    });

    it('rotates to a second token-resident KEK and still decrypts everything', async () => {
      const { account } = await seedAccount(env.inventory);
      const stored = await env.vault.storeSecret({ accountId: account.id, kind: 'api-token', value: secret('hsm-token-value') }, admin);
      await env.vault.rotateKek(admin);
      expect(await env.vault.waitForRotation()).toMatchObject({ state: 'done', remaining: 0 });
      expect((await env.vault.reveal({ secretId: stored.id, reasonCode: 'HSYSADMIN', permissions: reveal }, alice)).reveal()).toBe('hsm-token-value');
      expect((await provider.inspectKek({ version: 2, reference: `ward-kek-${ctx.dialect}-2` })).extractable).toBe(false);
    });

    it('reports a KEK missing from the token as KEY_UNAVAILABLE', async () => {
      await expect(provider.check({ version: 99, reference: `ward-kek-${ctx.dialect}-99` })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    });
  });
}

// Shared by the console's browser tests: build the console if needed, start a Ward with it on a fixed localhost
// port (WebAuthn's relying party is `localhost`), load the demo hospital, and drive Chromium.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret as OtpSecret, TOTP } from 'otpauth';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { noteSkipped } from '../support/postgres.js';
import { settleTotpStep, startTestWard, type TestWard } from '../support/ward.js';
import { loadDemoHospital } from '../../src/server/demo.js';
import type { DialectName } from '../../src/platform/database/index.js';
import { freePort } from '../support/ports.js';
export { freePort };

export const CHROMIUM = '/usr/bin/chromium';
const inCi = process.env.CI === 'true' || process.env.CI === '1';
export const chromiumPresent = existsSync(CHROMIUM);

export function requireChromium(suite: string): boolean {
  if (chromiumPresent) return true;
  if (inCi) throw new Error(`Chromium is required in CI for ${suite} (${CHROMIUM} is missing)`);
  noteSkipped(suite, `${CHROMIUM} not installed`);
  return false;
}

/** Builds web/dist unless it is newer than every source file (the same check `npm test` makes). */
export function ensureConsoleBuilt(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-web.ts', '--if-stale'], { stdio: 'inherit', cwd: process.cwd() });
}


export interface ConsoleWard {
  t: TestWard;
  origin: string;
  userPassword: string;
  close(): Promise<void>;
}

/** A listening Ward with the console and the demo hospital, on real time so TOTP codes typed in a page work. */
export async function startConsoleWard(dialect: DialectName): Promise<ConsoleWard> {
  ensureConsoleBuilt();
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const t = await startTestWard(dialect, { WARD_HTTP_LISTEN: `127.0.0.1:${port}`, WARD_PUBLIC_URL: origin }, { realClock: true });
  await t.ward.listen();
  await loadDemoHospital(t.ward);
  const saved = JSON.parse(readFileSync(join(t.dataDir, 'demo-credentials.json'), 'utf8')) as { userPassword: string };
  return { t, origin, userPassword: saved.userPassword, close: () => t.close() };
}

/**
 * A TOTP code `offsetSteps` steps from now. Ward refuses a step at or before the last one used, so a test uses
 * -1 to enrol, 0 to sign in and +1 to step up: three codes, strictly increasing, all inside the ±1 window.
 */
export function totpCode(secret: string, offsetSteps = 0): string {
  if (offsetSteps < 0) settleTotpStep();
  return new TOTP({ secret: OtpSecret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP localhost 127.0.0.1',
    ],
  });
}

/** A fresh context at nursing-station tablet size (1024×768). */
export async function tabletContext(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, acceptDownloads: true });
  const page = await context.newPage();
  return { context, page };
}

export async function addVirtualPasskey(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

/** Screenshots go to docs/screenshots when WARD_SCREENSHOTS=1 (to refresh the README's pictures), else nowhere. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.WARD_SCREENSHOTS !== '1') return;
  const dir = join(process.cwd(), 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

// The web console end to end in headless Chromium against a real Ward with the demo hospital: sign in with a
// password and TOTP (enrolling at first sign-in), with a passkey alone, request access and have it approved in a
// second browser context, break the glass and attest it, search the audit trail, and see the dashboard's charts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { postgresAvailable, noteSkipped } from '../support/postgres.js';
import { ADMIN_PASSWORD, signInWithTotp } from '../support/ward.js';
import type { DialectName } from '../../src/platform/database/index.js';
import { addVirtualPasskey, launchChromium, requireChromium, screenshot, startConsoleWard, tabletContext, totpCode, type ConsoleWard } from './support.js';

const runBrowser = requireChromium('web console in Chromium');
const withPostgres = runBrowser && (await postgresAvailable());
if (runBrowser && !withPostgres) noteSkipped('web console in Chromium (postgres)', 'PostgreSQL not reachable');

async function signInWithPassword(page: Page, origin: string, username: string, password: string) {
  await page.goto(origin);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function nav(page: Page, label: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent()).toBeTruthy();
}

function consoleSuite(dialect: DialectName, enabled: boolean) {
  describe.skipIf(!enabled)(`web console in Chromium (${dialect})`, () => {
    let w: ConsoleWard;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    let dana: Page;
    let admin: Page;
    let approver: Page;
    let danaSecret = '';
    const screens = dialect === 'sqlite';

    beforeAll(async () => {
      w = await startConsoleWard(dialect);
      browser = await launchChromium();
    }, 180_000);

    afterAll(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await w?.close();
    });

    // A failing step prints what each signed-in person saw, which is what a reader of the failure needs.
    afterEach(async (context) => {
      if (context.task.result?.state !== 'fail') return;
      for (const [who, page] of [['dana', dana], ['approver', approver], ['admin', admin]] as const) {
        if (page && !page.isClosed()) console.error(`--- ${who} saw ${page.url()}:\n${await page.locator('body').innerText().catch(() => '?')}`);
      }
    });

    /** Enrols TOTP through the API (code from the previous step) and returns the secret for a browser sign-in. */
    async function enrolTotpThroughApi(username: string, password: string): Promise<string> {
      const inject = w.t.ward.app.inject.bind(w.t.ward.app);
      const login = (await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })).json() as { token: string };
      const auth = { authorization: `Bearer ${login.token}` };
      const enrol = (await inject({ method: 'POST', url: '/api/v1/me/mfa/totp', headers: auth })).json() as { secret: string };
      const confirmed = await inject({ method: 'POST', url: '/api/v1/me/mfa/totp/confirm', headers: auth, payload: { code: totpCode(enrol.secret, -1) } });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      return enrol.secret;
    }

    async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
      const made = await tabletContext(browser);
      contexts.push(made.context);
      return made;
    }

    it('shows a refused sign-in as a readable message with its code', async () => {
      const { page } = await newPage();
      await signInWithPassword(page, w.origin, 'dana.okafor', 'not-her-password');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/\(AUTH_[A-Z_]+\)/);
      if (screens) await screenshot(page, '01-sign-in-error');
      await page.close();
    });

    it('enrols TOTP at first sign-in, then signs in with password and TOTP and shows the idle countdown', async () => {
      ({ page: dana } = await newPage());
      await signInWithPassword(dana, w.origin, 'dana.okafor', w.userPassword);
      await dana.getByRole('heading', { name: 'Enrol a second factor' }).waitFor();
      if (screens) await screenshot(dana, '02-enrol');
      await dana.getByRole('button', { name: 'Set up an authenticator app' }).click();
      danaSecret = await dana.getByTestId('totp-secret').inputValue();
      expect(danaSecret).toMatch(/^[A-Z2-7]+=*$/);
      expect(await dana.getByLabel('otpauth URI').inputValue()).toMatch(/^otpauth:\/\/totp\//);
      await dana.getByLabel('Code', { exact: true }).fill(totpCode(danaSecret, -1));
      await dana.getByRole('button', { name: 'Confirm' }).click();
      await dana.getByRole('list', { name: 'Recovery codes' }).waitFor();
      await dana.getByRole('button', { name: 'I have saved them' }).click();
      await dana.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await dana.getByRole('button', { name: 'Sign out' }).click();

      await signInWithPassword(dana, w.origin, 'dana.okafor', w.userPassword);
      await dana.getByLabel('Code from your authenticator app').fill(totpCode(danaSecret, 0));
      await dana.getByRole('button', { name: 'Verify' }).click();
      await dana.getByText('Dana Okafor', { exact: false }).first().waitFor();
      const countdown = await dana.getByTestId('idle-countdown').textContent();
      expect(countdown).toMatch(/1[45] min/); // the default 15-minute idle logoff, counting down
    });

    it('requests access, an approver grants it from a second browser context, and the requester sees the grant with time left', async () => {
      await nav(dana, 'My access');
      await dana.getByRole('combobox', { name: 'Target' }).fill('ehr-db');
      await dana.getByRole('option').getByRole('button', { name: /ehr-db-01/ }).click();
      await dana.getByLabel('Account').selectOption('ehr_dba');
      await dana.getByLabel('Reason (purpose of use)').selectOption('HSYSADMIN');
      await dana.getByLabel('Ticket').fill('CHG-4711');
      await dana.getByLabel('Justification').fill('Index rebuild on the EHR database');
      await dana.getByRole('button', { name: 'Request access' }).click();
      await dana.getByRole('status').filter({ hasText: 'pending' }).waitFor();
      if (screens) await screenshot(dana, '03-my-access-request');

      // ehr-db-01 needs two approvals, one from the requester's manager: a peer approves through the API, and
      // her manager maria.chen decides in her own browser.
      const sam = await signInWithTotp(w.t, 'sam.patel', w.userPassword);
      const pending = (await w.t.ward.app.inject({ method: 'GET', url: '/api/v1/access/approvals', headers: { authorization: `Bearer ${sam.token}` } })).json() as { items: { id: string }[] };
      expect(pending.items).toHaveLength(1);
      const peer = await w.t.ward.app.inject({ method: 'POST', url: `/api/v1/access/approvals/${pending.items[0]!.id}/approve`, headers: { authorization: `Bearer ${sam.token}` }, payload: { note: 'peer ok' } });
      expect(peer.statusCode, peer.body).toBe(200);

      const mariaSecret = await enrolTotpThroughApi('maria.chen', w.userPassword);
      ({ page: approver } = await newPage());
      await signInWithPassword(approver, w.origin, 'maria.chen', w.userPassword);
      await approver.getByLabel('Code from your authenticator app').fill(totpCode(mariaSecret, 0));
      await approver.getByRole('button', { name: 'Verify' }).click();
      await nav(approver, 'Approvals');
      const card = approver.getByTestId('approval-card').filter({ hasText: 'dana.okafor' });
      await card.waitFor();
      expect(await card.textContent()).toContain('CHG-4711');
      expect(await card.textContent()).toContain('Index rebuild');
      expect(await card.textContent()).toContain('1 of 2');
      if (screens) await screenshot(approver, '04-approvals');
      await card.getByLabel('Comment').fill('Approved as manager');
      await card.getByRole('button', { name: 'Approve' }).click();
      await card.getByRole('status').filter({ hasText: 'Decision recorded' }).waitFor();

      await dana.reload();
      const grant = dana.getByTestId('grant-row').filter({ hasText: 'ehr-db-01' });
      await grant.waitFor();
      expect(await grant.textContent()).toMatch(/(59|60) min|1 h/);
      if (screens) await screenshot(dana, '05-my-access-grant');
    });

    it('breaks the glass as a separate emergency action, and the reviewer attests it', async () => {
      await dana.getByRole('button', { name: 'Start emergency access…' }).click();
      await dana.getByRole('combobox', { name: 'Target' }).last().fill('infusion');
      await dana.getByRole('option').getByRole('button', { name: /infusion-gw-01/ }).click();
      await dana.getByLabel('Purpose of use', { exact: true }).selectOption('ETREAT');
      await dana.getByLabel('Justification (required)').fill('Pump library push failed during a code; biomed on-call unreachable');
      const breakButton = dana.getByRole('button', { name: 'Break the glass' });
      expect(await breakButton.isDisabled()).toBe(true);
      await dana.getByLabel(/I understand/).check();
      await breakButton.click();
      await dana.getByRole('status').filter({ hasText: 'Emergency access to infusion-gw-01 is active' }).waitFor();
      await dana.getByTestId('grant-row').filter({ hasText: 'break-glass' }).waitFor();
      if (screens) await screenshot(dana, '06-break-glass');

      await approver.reload();
      const review = approver.getByTestId('review-card').filter({ hasText: 'infusion-gw-01' });
      await review.waitFor();
      if (screens) await screenshot(approver, '07-break-glass-review');
      await review.getByLabel('Appropriate', { exact: true }).check();
      await review.getByLabel('Attestation note').fill('Confirmed with the charge nurse');
      await review.getByRole('button', { name: 'Record attestation' }).click();
      await review.getByRole('status').filter({ hasText: 'Attestation recorded' }).waitFor();
      const attested = await w.t.ward.audit.search({ action: 'access.review.completed', order: 'desc', limit: 5 });
      expect(attested.map((e) => e.actor.name)).toContain('maria.chen');
    });

    it('asks for a fresh second factor when the API wants a step-up, then carries on with the action', async () => {
      // Age dana's MFA proof past the step-up limit (5 minutes) instead of waiting for it.
      const user = await w.t.ward.identity.findUserByUsername('dana.okafor');
      await w.t.ward.database.db.updateTable('auth_sessions').set({ mfa_verified_at: Date.now() - 10 * 60_000 }).where('user_id', '=', user!.id).execute();
      await dana.getByRole('button', { name: 'Cancel' }).click().catch(() => {});
      await dana.getByRole('button', { name: 'Start emergency access…' }).click();
      await dana.getByRole('combobox', { name: 'Target' }).last().fill('mri');
      await dana.getByRole('option').getByRole('button', { name: /mri-console-01/ }).click();
      await dana.getByLabel('Justification (required)').fill('Scanner down with a patient on the table');
      await dana.getByLabel(/I understand/).check();
      await dana.getByRole('button', { name: 'Break the glass' }).click();
      const dialog = dana.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.waitFor();
      await dialog.getByLabel('Authenticator code', { exact: true }).fill(totpCode(danaSecret, 1));
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dana.getByRole('status').filter({ hasText: 'Emergency access to mri-console-01 is active' }).waitFor();
      expect(await dialog.isVisible()).toBe(false);
    });

    it('searches the audit trail, opens an event and exports the result', async () => {
      const adminSecret = await enrolTotpThroughApi('admin', ADMIN_PASSWORD);
      ({ page: admin } = await newPage());
      await signInWithPassword(admin, w.origin, 'admin', ADMIN_PASSWORD);
      await admin.getByLabel('Code from your authenticator app').fill(totpCode(adminSecret, 0));
      await admin.getByRole('button', { name: 'Verify' }).click();
      await nav(admin, 'Audit');
      await admin.getByLabel('Action starts with').fill('access.breakglass');
      await admin.getByRole('button', { name: 'Search' }).click();
      const table = admin.getByRole('table', { name: 'Audit events' });
      await table.waitFor();
      await table.getByRole('button', { name: 'access.breakglass.started' }).first().click();
      const details = admin.getByRole('complementary');
      await details.waitFor();
      expect(await details.textContent()).toContain('ETREAT');
      if (screens) await screenshot(admin, '08-audit');
      const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('button', { name: 'Export CSV' }).click()]);
      expect(download.suggestedFilename()).toBe('ward-audit.csv');
    });

    it('renders the dashboard charts from the access metrics and the audit trail', async () => {
      await nav(admin, 'Dashboard');
      const chart = admin.getByTestId('chart-requests');
      await chart.waitFor();
      // A drawn canvas differs from a blank one of the same size.
      type Canvas = { width: number; height: number; toDataURL(): string };
      const drawn = await chart.evaluate((element) => {
        const canvas = element as unknown as Canvas;
        const blank = (globalThis as unknown as { document: { createElement(tag: string): Canvas } }).document.createElement('canvas');
        blank.width = canvas.width;
        blank.height = canvas.height;
        return canvas.width > 0 && canvas.toDataURL() !== blank.toDataURL();
      });
      expect(drawn).toBe(true);
      const table = admin.getByRole('figure', { name: /Access requests/ }).locator('table');
      const todayRequests = await table.locator('tbody tr').last().locator('td').nth(1).textContent({ timeout: 10_000 });
      expect(Number(todayRequests)).toBeGreaterThanOrEqual(1);
      await admin.getByTestId('chart-breakglass').waitFor();
      await admin.getByTestId('chart-logins').waitFor();
      if (screens) await screenshot(admin, '09-dashboard');
      await nav(admin, 'Inventory');
      await admin.getByRole('cell', { name: 'ehr-db-01' }).waitFor();
      if (screens) await screenshot(admin, '10-inventory');
      await nav(admin, 'Identities');
      await admin.getByRole('cell', { name: 'dana.okafor' }).waitFor();
      if (screens) await screenshot(admin, '11-identities');
    });

    it('registers a passkey at first sign-in and then signs in with the passkey alone', async () => {
      const { context, page } = await newPage();
      // The page's clock is faked from the first load (time still flows) so the idle-logoff check below can move it
      // without reloading the page; a reload under CI load once left the console without its session header.
      await page.clock.install();
      await addVirtualPasskey(context, page);
      await signInWithPassword(page, w.origin, 'nina.ruiz', w.userPassword);
      await page.getByRole('button', { name: 'Register a passkey' }).click();
      await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
      await page.getByRole('button', { name: 'I have saved them' }).click();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('status').filter({ hasText: 'You signed out' }).waitFor();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByText('Nina Ruiz').first().waitFor();
      await nav(page, 'My access');
      await page.getByRole('heading', { name: 'My access' }).waitFor();

      // Automatic logoff: the page's clock is moved past the 15-minute idle timeout rather than waited for.
      await page.getByTestId('idle-countdown').waitFor();
      // Every answered API call restarts the idle timer (as on the server), so let the page's loads finish first.
      await page.waitForLoadState('networkidle');
      // The page's clock is paused, so its timers fire only when the test moves time.
      await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
      await page.clock.fastForward('14:20');
      await page.clock.runFor(1000);
      await page.getByRole('button', { name: 'Stay signed in' }).waitFor();
      await page.clock.fastForward('01:00');
      await page.clock.runFor(1000);
      await page.getByRole('status').filter({ hasText: 'signed out after a period of inactivity' }).waitFor();
      const logouts = await w.t.ward.audit.search({ action: 'auth.logout', actorName: 'nina.ruiz', order: 'desc', limit: 5 });
      expect(logouts.length).toBeGreaterThanOrEqual(1);
    });
  });
}

consoleSuite('sqlite', runBrowser);
consoleSuite('postgres', withPostgres);

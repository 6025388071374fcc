// The console's Sessions page end to end: a composed Ward with the demo hospital, a private OpenSSH sshd as the
// target, a real `ssh -tt` client running a shell loop through the gateway, and headless Chromium as a security
// administrator who sees the session listed and on the dashboard, watches it live, terminates it with a reason,
// locks the user everywhere, then finds the recording and plays it back in asciinema-player.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { postgresAvailable, noteSkipped } from '../support/postgres.js';
import { clientOptions, generateKey, sshAvailable, startSshd, type KeyPair, type TestSshd } from '../support/sshd.js';
import { ADMIN_PASSWORD } from '../support/ward.js';
import type { DialectName } from '../../src/platform/database/index.js';
import { launchChromium, requireChromium, screenshot, startConsoleWard, tabletContext, totpCode, type ConsoleWard } from './support.js';

const runBrowser = requireChromium('Sessions page in Chromium') && sshAvailable('test/web/sessions.browser.test.ts');
const withPostgres = runBrowser && (await postgresAvailable());
if (runBrowser && !withPostgres) noteSkipped('Sessions page in Chromium (postgres)', 'PostgreSQL not reachable');

const MARKER = 'WARD-SESSION-MARKER';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers are checked field by field below
type Json = Record<string, any>;

interface SshClient {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function sessionsSuite(dialect: DialectName, enabled: boolean) {
  describe.skipIf(!enabled)(`Sessions page in Chromium (${dialect})`, () => {
    let w: ConsoleWard;
    let sshd: TestSshd;
    let browser: Browser;
    let context: BrowserContext;
    let admin: Page;
    let adminToken = '';
    let samKey: KeyPair;
    let knownHosts = '';
    let gatewayPort = 0;
    const clients: SshClient[] = [];
    const screens = dialect === 'sqlite';

    const call = async (method: 'GET' | 'POST', url: string, token: string | null, payload?: unknown) => {
      const response = await w.t.ward.app.inject({
        method,
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(payload === undefined ? {} : { payload: payload as Json }),
      });
      if (response.statusCode >= 400) throw new Error(`${method} ${url} → ${response.statusCode} ${response.body}`);
      return response.json() as Json;
    };

    /** Enrols TOTP for a demo user (code of the previous step) and signs in with the current one: a fresh MFA proof. */
    async function apiSignIn(username: string, password: string): Promise<{ token: string; secret: string }> {
      const first = await call('POST', '/api/v1/auth/login', null, { username, password });
      const enrol = await call('POST', '/api/v1/me/mfa/totp', first.token as string);
      await call('POST', '/api/v1/me/mfa/totp/confirm', first.token as string, { code: totpCode(enrol.secret as string, -1) });
      const again = await call('POST', '/api/v1/auth/login', null, { username, password });
      const signedIn = await call('POST', '/api/v1/auth/mfa/totp', null, { challenge: again.challenge, code: totpCode(enrol.secret as string, 0) });
      return { token: signedIn.token as string, secret: enrol.secret as string };
    }

    /** `ssh -tt` (a pty, like a person at a terminal) running a loop that prints the marker twice a second. */
    function startShell(times?: number): SshClient {
      const loop = times ? `i=0; while [ $i -lt ${times} ]; do i=$((i+1)); echo ${MARKER}-$i; sleep 0.2; done` : `i=0; while true; do i=$((i+1)); echo ${MARKER}-$i; sleep 0.5; done`;
      const child = spawn('ssh', [
        ...clientOptions({ identityFile: samKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }),
        '-tt', '-p', String(gatewayPort), 'sam.patel+ops-shell-01@127.0.0.1', loop,
      ], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const client = { child, output: () => output, exited: new Promise<number | null>((resolve) => child.once('close', resolve)) };
      clients.push(client);
      return client;
    }

    async function waitFor(probe: () => boolean | Promise<boolean>, what: string): Promise<void> {
      for (let i = 0; i < 300; i++) {
        if (await probe()) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    }

    async function nav(label: string) {
      await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
    }

    beforeAll(async () => {
      sshd = await startSshd();
      w = await startConsoleWard(dialect);
      gatewayPort = w.t.ward.ssh.address()!.port;
      browser = await launchChromium();

      // The administrator enrols TOTP (the browser signs in with the next code) and adds the target: the private
      // sshd in the demo's enterprise zone, one account whose key is vaulted, and its host key pinned.
      const first = await call('POST', '/api/v1/auth/login', null, { username: 'admin', password: ADMIN_PASSWORD });
      adminToken = first.token as string;
      const enrol = await call('POST', '/api/v1/me/mfa/totp', adminToken);
      await call('POST', '/api/v1/me/mfa/totp/confirm', adminToken, { code: totpCode(enrol.secret as string, -1) });
      const target = await call('POST', '/api/v1/targets', adminToken, { name: 'ops-shell-01', address: `${sshd.host}:${sshd.port}`, protocols: ['ssh'], zone: 'enterprise', criticality: 'medium', ephiSensitivity: 'none' });
      const account = await call('POST', `/api/v1/targets/${target.id as string}/accounts`, adminToken, { username: sshd.user, kind: 'human-admin' });
      await call('POST', `/api/v1/accounts/${account.id as string}/secrets`, adminToken, { kind: 'ssh-key', value: sshd.userKey.privateKey });
      await call('POST', `/api/v1/targets/${target.id as string}/host-keys`, adminToken, { publicKey: sshd.hostPublicKey });

      // sam.patel (sysadmin) registers an SSH key and requests access; his manager maria.chen approves.
      const sam = await apiSignIn('sam.patel', w.userPassword);
      samKey = generateKey(sshd.directory, 'sam_key');
      await call('POST', '/api/v1/me/ssh-keys', sam.token, { publicKey: samKey.publicKey });
      const request = await call('POST', '/api/v1/access/requests', sam.token, { target: 'ops-shell-01', durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification: 'rotate the nightly job logs' });
      const maria = await apiSignIn('maria.chen', w.userPassword);
      const approved = await call('POST', `/api/v1/access/approvals/${request.id as string}/approve`, maria.token, { note: 'ok' });
      expect(approved.status).toBe('approved');
      knownHosts = join(sshd.directory, 'gateway_known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${gatewayPort} ${w.t.ward.ssh.gateway.hostPublicKey}\n`);

      ({ context, page: admin } = await tabletContext(browser));
      await admin.goto(w.origin);
      await admin.getByLabel('Username', { exact: true }).fill('admin');
      await admin.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
      await admin.getByRole('button', { name: 'Continue' }).click();
      await admin.getByLabel('Code from your authenticator app').fill(totpCode(enrol.secret as string, 0));
      await admin.getByRole('button', { name: 'Verify' }).click();
      await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
    }, 180_000);

    afterAll(async () => {
      for (const client of clients) if (client.child.exitCode === null) client.child.kill();
      await context?.close().catch(() => {});
      await browser?.close();
      await w?.close();
      await sshd?.stop();
    });

    afterEach(async (test) => {
      if (test.task.result?.state !== 'fail') return;
      if (admin && !admin.isClosed()) console.error(`--- admin saw ${admin.url()}:\n${await admin.locator('body').innerText().catch(() => '?')}`);
      for (const client of clients) console.error(`--- ssh client:\n${client.output().slice(-300)}`);
      console.error('--- players', await admin.locator('.player').evaluateAll((els) => els.map((el) => (el as unknown as { innerHTML: string }).innerHTML.slice(0, 3000))).catch(() => '?'));
      console.error('--- gateway actions', (await w.t.ward.audit.search({ actionPrefix: 'gateway.', limit: 100 })).map((e) => e.action).join(' '));
    });

    it('lists a live ssh session, shows it on the dashboard by zone, and watches it live in the player', async () => {
      // A short session that ends by itself first: its recording is the one played back at the end.
      const short = startShell(5);
      expect(await short.exited).toBe(0);
      expect(short.output()).toContain(`${MARKER}-5`);
      const shell = startShell();
      await waitFor(() => shell.output().includes(MARKER), 'the marker on the ssh client');

      await nav('Dashboard');
      const chart = admin.getByRole('figure', { name: 'Active sessions by zone' });
      await admin.getByTestId('chart-sessions-by-zone').waitFor();
      await expect.poll(async () => chart.locator('tbody tr').filter({ hasText: 'enterprise' }).locator('td').nth(1).textContent(), { timeout: 15_000 }).toBe('1');

      await nav('Sessions');
      const row = admin.getByTestId('live-session').filter({ hasText: 'sam.patel' });
      await row.waitFor();
      expect(await row.textContent()).toContain('ops-shell-01');
      expect(await row.textContent()).toContain('enterprise');
      await row.getByRole('button', { name: 'Watch sam.patel on ops-shell-01' }).click();
      const player = admin.getByTestId('live-player');
      await expect.poll(async () => (await player.innerText()).split(MARKER).length - 1, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
      if (screens) await screenshot(admin, '12-sessions');
      const watched = await w.t.ward.audit.search({ action: 'gateway.ssh.session.watched', actorName: 'admin', limit: 5 });
      expect(watched).toHaveLength(1);
    });

    it('terminates the session with a reason: the ssh client exits and sees it, the audit trail has it', async () => {
      const shell = clients.at(-1)!;
      const row = admin.getByTestId('live-session').filter({ hasText: 'sam.patel' });
      await row.getByRole('button', { name: 'Terminate sam.patel on ops-shell-01' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Terminate sam.patel on ops-shell-01?' });
      await dialog.waitFor();
      const reason = 'Unapproved change seen by the security office';
      await dialog.getByLabel(/^Reason/).fill(reason);
      await dialog.getByRole('button', { name: 'Terminate session' }).click();
      expect(await shell.exited).not.toBe(0);
      expect(shell.output()).toContain(reason);
      await admin.getByRole('status').filter({ hasText: 'terminated' }).first().waitFor();
      await admin.getByText(`Stream ended: ${reason}`).waitFor();
      await admin.getByText('No live sessions.').waitFor({ timeout: 10_000 });
      const terminated = await w.t.ward.audit.search({ action: 'gateway.ssh.session.terminated', limit: 5 });
      expect(terminated.map((event) => event.justification)).toEqual([reason]);
    });

    it('locks the user everywhere in one confirmed step: the Ward account is disabled and the live session ends', async () => {
      const shell = startShell();
      await waitFor(() => shell.output().includes(MARKER), 'the marker on the second ssh client');
      const row = admin.getByTestId('live-session').filter({ hasText: 'sam.patel' });
      await row.waitFor({ timeout: 10_000 });
      await row.getByRole('button', { name: 'Lock sam.patel everywhere' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Lock sam.patel everywhere?' });
      await dialog.getByLabel(/^Reason/).fill('Credentials suspected stolen');
      await dialog.getByRole('button', { name: 'Lock user everywhere' }).click();
      expect(await shell.exited).not.toBe(0);
      await admin.getByRole('status').filter({ hasText: 'sam.patel is locked' }).waitFor();
      const sam = await w.t.ward.identity.findUserByUsername('sam.patel');
      expect(sam?.status).toBe('disabled');
      const disabled = await w.t.ward.audit.search({ action: 'identity.user.disabled', limit: 5 });
      expect(disabled.at(-1)?.details?.reason).toBe('Credentials suspected stolen');
    });

    it('finds the recordings by user and target and plays one back in asciinema-player', async () => {
      // Recordings are sealed as the sessions close, just after the clients exit: the short session's, the terminated
      // one's and the locked one's. Newest first, so the short session (sealed first) is the last row.
      await waitFor(async () => (await w.t.ward.audit.search({ action: 'gateway.ssh.recording.sealed', limit: 5 })).length >= 3, 'three sealed recordings');
      const search = admin.getByRole('form', { name: 'Search recordings' });
      await search.getByLabel('User').fill('sam.patel');
      await search.getByLabel('Target').fill('ops-shell-01');
      await search.getByRole('button', { name: 'Search recordings' }).click();
      const rows = admin.getByTestId('recording-row');
      await expect.poll(() => rows.count()).toBe(3);
      await search.getByLabel('Target').fill('no-such-target');
      await search.getByRole('button', { name: 'Search recordings' }).click();
      await admin.getByText('No recordings match.').waitFor();
      await search.getByLabel('Target').fill('ops-shell-01');
      await search.getByRole('button', { name: 'Search recordings' }).click();
      await expect.poll(() => rows.count()).toBe(3);
      await rows.last().getByRole('button', { name: /^Play recording of sam.patel on ops-shell-01/ }).click();
      const player = admin.getByTestId('recording-player');
      await expect.poll(() => player.innerText(), { timeout: 20_000 }).toContain(`${MARKER}-1`);
      await expect.poll(() => player.innerText(), { timeout: 20_000 }).toContain(`${MARKER}-5`);
      if (screens) await screenshot(admin, '13-playback');
      const played = await w.t.ward.audit.search({ action: 'recording.played', actorName: 'admin', limit: 5 });
      expect(played).toHaveLength(1);
    });
  });
}

sessionsSuite('sqlite', runBrowser);
sessionsSuite('postgres', withPostgres);

// The SSH gateway inside a whole composed Ward (real store on both dialects, real identity, inventory, vault and
// access): an administrator pins a private sshd's host key and vaults the account's key through the HTTP API, a user
// registers an SSH key, requests access, a second person approves, and real OpenSSH `ssh` runs through the gateway.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askpassEnv, clientOptions, generateKey, interactiveOptions, run, sshAvailable, startSshd, type KeyPair, type TestSshd } from '../support/sshd.js';
import { ADMIN_PASSWORD, signInWithTotp, startTestWard, totpNow, weekdayMorningUtc, type TestWard } from '../support/ward.js';
import { dialects, noteSkipped, postgresAvailable } from '../support/dialects.js';
import { outputText } from '../../src/recording/playback.js';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';

const sshPresent = sshAvailable('test/gateway/composed.test.ts');
const postgresReachable = await postgresAvailable();
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers are checked field by field below
type Json = Record<string, any>;
const ALICE_PASSWORD = 'Alice-needs-the-EHR-database-2026!';

for (const dialect of dialects) {
  const skip = !sshPresent || (dialect === 'postgres' && !postgresReachable);
  if (dialect === 'postgres' && !postgresReachable) noteSkipped(`composed SSH gateway [postgres]`, 'PostgreSQL not reachable');

  describe.skipIf(skip)(`SSH gateway in the composed server [${dialect}]`, () => {
    let t: TestWard;
    let sshd: TestSshd;
    let admin: string;
    let adminSignIn: { token: string; totpSecret: string };
    let alice: { token: string; totpSecret: string };
    let aliceKey: KeyPair;
    let knownHosts: string;
    let gatewayPort: number;
    let targetId: string;
    let aliceId: string;
    let baseUrl: string;

    type Method = 'GET' | 'POST' | 'DELETE' | 'PATCH';
    const api = async (method: Method, url: string, token: string, payload?: unknown) => {
      const response = await t.ward.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
      const json = String(response.headers['content-type'] ?? '').includes('json');
      return { status: response.statusCode, body: (json ? response.json() : {}) as Json, raw: response.body };
    };
    const ok = async (method: Method, url: string, token: string, payload?: unknown) => {
      const answer = await api(method, url, token, payload);
      if (answer.status >= 400) throw new Error(`${method} ${url} → ${answer.status} ${answer.raw}`);
      return answer.body;
    };
    /** The `ward` CLI against the listening server, as the holder of `token`. */
    async function cli(args: string[], token: string): Promise<{ code: number; out: string; err: string }> {
      const context = createCliContext({ WARD_URL: baseUrl, WARD_TOKEN: token, WARD_SESSION_FILE: join(t.dataDir, 'cli-session.json'), WARD_DATA_DIR: t.dataDir, WARD_LOG_LEVEL: 'silent' });
      let out = '';
      let err = '';
      context.out = { write: (text: string) => ((out += text), true) } as unknown as NodeJS.WritableStream;
      context.err = { write: (text: string) => ((err += text), true) } as unknown as NodeJS.WritableStream;
      const code = await runCli(args, context);
      return { code, out, err };
    }
    const actions = async (pattern: string) =>
      (await t.ward.database.db.selectFrom('audit_events').select('action').where('action', 'like', pattern).orderBy('sequence').execute()).map((r) => r.action);
    const ssh = (login: string, command: string) =>
      run('ssh', [...clientOptions({ identityFile: aliceKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }), '-p', String(gatewayPort), `${login}@127.0.0.1`, command]);

    beforeAll(async () => {
      sshd = await startSshd();
      // The hospital's day shift: connect decisions depend on the hour (after-hours step-up), so the clock is set.
      // Loopback clients count as "internet" here, so the pack's network rule can be seen refusing a critical target.
      t = await startTestWard(dialect, { WARD_TIME_ZONE: 'UTC', WARD_NETWORK_ZONES: 'internet=127.0.0.0/8' }, { clockStart: weekdayMorningUtc() });
      baseUrl = (await t.ward.listen()).url;
      gatewayPort = t.ward.ssh.address()!.port;
      adminSignIn = await signInWithTotp(t, 'admin', ADMIN_PASSWORD);
      admin = adminSignIn.token;

      // The administrator: a zone, the target (the private sshd) with one account, its key in the vault, its host key pinned.
      await ok('POST', '/api/v1/zones', admin, { name: 'enterprise' });
      const target = await ok('POST', '/api/v1/targets', admin, {
        name: 'ehr-db-01',
        address: `${sshd.host}:${sshd.port}`,
        protocols: ['ssh'],
        zone: 'enterprise',
        criticality: 'medium',
        ephiSensitivity: 'none',
      });
      targetId = target.id as string;
      const account = await ok('POST', `/api/v1/targets/${targetId}/accounts`, admin, { username: sshd.user, kind: 'human-admin' });
      await ok('POST', `/api/v1/accounts/${account.id as string}/secrets`, admin, { kind: 'ssh-key', value: sshd.userKey.privateKey });
      const pinned = await ok('POST', `/api/v1/targets/${targetId}/host-keys`, admin, { knownHosts: `# from the build host\n[${sshd.host}]:${sshd.port} ${sshd.hostPublicKey}\nother-host ${sshd.hostPublicKey}\n` });
      expect(pinned.pinned).toHaveLength(1);
      expect(pinned.skipped).toBe(1);

      // A person who may request access, with a password and TOTP.
      // Role and zone names are the ones the default Cedar pack permits: sysadmins may request enterprise targets,
      // approvers may approve.
      const role = await ok('POST', '/api/v1/roles', admin, { name: 'sysadmin', permissions: ['access.request'] });
      const approverRole = await ok('POST', '/api/v1/roles', admin, { name: 'approver', permissions: ['access.approve'] });
      const adminUser = await ok('GET', '/api/v1/users?username=admin', admin);
      await ok('POST', '/api/v1/role-assignments', admin, { roleId: approverRole.id, subjectType: 'user', subjectId: adminUser.items[0].id });
      const user = await ok('POST', '/api/v1/users', admin, { username: 'alice', displayName: 'Alice Admin', password: ALICE_PASSWORD });
      await ok('POST', '/api/v1/role-assignments', admin, { roleId: role.id, subjectType: 'user', subjectId: user.id });
      aliceId = user.id as string;
      alice = await signInWithTotp(t, 'alice', ALICE_PASSWORD);
      aliceKey = generateKey(sshd.directory, 'alice_key');
      knownHosts = join(sshd.directory, 'gateway_known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${gatewayPort} ${t.ward.ssh.gateway.hostPublicKey}\n`);
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      await sshd?.stop();
    });

    it('registers an SSH key only with a fresh second factor, refuses garbage and duplicates, and audits it', async () => {
      const stale = await api('POST', '/api/v1/me/ssh-keys', alice.token, { publicKey: aliceKey.publicKey });
      // signInWithTotp left the proof fresh; let it age past the step-up window.
      expect(stale.status).toBe(200);
      await ok('DELETE', `/api/v1/me/ssh-keys/${stale.body.id as string}`, alice.token);
      t.clock.advance(360_000);
      const aged = await api('POST', '/api/v1/me/ssh-keys', alice.token, { publicKey: aliceKey.publicKey });
      expect(aged.status).toBe(401);
      expect(aged.body.error.code).toBe('AUTH_STEP_UP_REQUIRED');
      await ok('POST', '/api/v1/auth/step-up/totp', alice.token, { code: totpNow(alice.totpSecret, t.clock) });
      t.clock.advance(30_000);
      const garbage = await api('POST', '/api/v1/me/ssh-keys', alice.token, { publicKey: 'ssh-ed25519 not-a-key' });
      expect(garbage.status).toBe(400);
      const added = await ok('POST', '/api/v1/me/ssh-keys', alice.token, { publicKey: aliceKey.publicKey });
      expect(added.fingerprint).toMatch(/^SHA256:/);
      const twice = await api('POST', '/api/v1/me/ssh-keys', alice.token, { publicKey: aliceKey.publicKey });
      expect(twice.status).toBe(409);
      const listed = await ok('GET', '/api/v1/me/ssh-keys', alice.token);
      expect(listed.items).toEqual([expect.objectContaining({ id: added.id, algorithm: 'ssh-ed25519', comment: 'alice_key' })]);
      expect(await actions('identity.ssh_key.%')).toEqual(['identity.ssh_key.added', 'identity.ssh_key.removed', 'identity.ssh_key.added']);
    });

    it('refuses ssh without a grant in one line that names the target and how to request', async () => {
      const refused = await ssh('alice+ehr-db-01', 'echo hello');
      expect(refused.code).not.toBe(0);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain(`ward: no active grant for ${sshd.user}@ehr-db-01; request one`);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('runs a command through the gateway once a second person approved the request, and plays it back', async () => {
      const request = await ok('POST', '/api/v1/access/requests', alice.token, { target: 'ehr-db-01', durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification: 'vacuum the audit table' });
      expect(request.status).toBe('pending');
      const approved = await ok('POST', `/api/v1/access/approvals/${request.id as string}/approve`, admin, { note: 'ok' });
      expect(approved.status).toBe('approved');

      const result = await ssh('alice+ehr-db-01', 'echo hello; echo "user=$(id -un)"');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`hello\nuser=${sshd.user}\n`);
      // The vaulted key was used by the gateway only: not in what the user saw, not in the audit trail.
      const keyBody = sshd.userKey.privateKey.split('\n')[3]!; // the line holding the private half
      expect(result.stdout + result.stderr).not.toContain(keyBody);
      const bodies = await t.ward.database.db.selectFrom('audit_events').select('body').execute();
      expect(bodies.some((r) => r.body.includes(keyBody))).toBe(false);

      // The recording of that exec is on disk, encrypted, and plays back through the API.
      // The gateway seals the recording as the session closes, which may be just after the client has exited.
      const sealed = () => readdirSync(join(t.dataDir, 'recordings')).filter((f) => f.endsWith('.cast.enc'));
      for (let i = 0; i < 100 && (sealed().length === 0 || !(await actions('gateway.ssh.session.ended')).length); i++) await new Promise((r) => setTimeout(r, 50));
      const files = sealed();
      expect(files).toHaveLength(1);
      const recordingId = files[0]!.slice(0, -'.cast.enc'.length);
      expect((await api('GET', `/api/v1/recordings/${recordingId}`, alice.token)).status).toBe(403);
      const played = await api('GET', `/api/v1/recordings/${recordingId}`, admin);
      expect(played.status).toBe(200);
      expect(outputText(played.raw)).toContain('hello');
    });

    it('refuses port forwarding and a wrong key', async () => {
      const stranger = generateKey(sshd.directory, 'stranger_key');
      const wrong = await run('ssh', [...clientOptions({ identityFile: stranger.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }), '-p', String(gatewayPort), 'alice+ehr-db-01@127.0.0.1', 'echo hello']);
      expect(wrong.code).toBe(255);
      expect(wrong.stdout).toBe('');
      // `ssh -W` asks for a direct-tcpip channel: the gateway refuses port forwarding and audits the refusal.
      const forward = await run('ssh', [...clientOptions({ identityFile: aliceKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort, extra: ['-W', `127.0.0.1:${sshd.port}`] }), '-p', String(gatewayPort), 'alice+ehr-db-01@127.0.0.1']);
      expect(forward.code).toBe(255);
      expect(forward.stdout).toBe('');
      for (let i = 0; i < 50 && !(await actions('gateway.ssh.channel.denied')).length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await actions('gateway.ssh.channel.denied')).toEqual(['gateway.ssh.channel.denied']);
    });

    it('ends a live session when the grant is revoked', async () => {
      const child = spawn('ssh', [...clientOptions({ identityFile: aliceKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }), '-p', String(gatewayPort), 'alice+ehr-db-01@127.0.0.1', 'echo started; sleep 60'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      for (let i = 0; i < 200 && !stdout.includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toContain('started');
      const live = await ok('GET', '/api/v1/gateway/ssh/sessions', admin);
      expect(live.items).toEqual([expect.objectContaining({ username: 'alice', target: 'ehr-db-01' })]);
      const grants = await ok('GET', '/api/v1/access/grants', alice.token);
      const grant = (grants.items as Array<{ id: string; targetName: string; state: string }>).find((g) => g.targetName === 'ehr-db-01' && g.state === 'active')!;
      await ok('POST', `/api/v1/access/grants/${grant.id}/revoke`, admin, { note: 'incident closed' });
      const code = await exited;
      expect(code).not.toBe(0);
      const liveNow = async () => (await ok('GET', '/api/v1/gateway/ssh/sessions', admin)).items as unknown[];
      for (let i = 0; i < 100 && (await liveNow()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await liveNow()).toEqual([]);
      const again = await ssh('alice+ehr-db-01', 'echo hello');
      expect(again.stderr).toContain('no active grant for');
      expect(await actions('gateway.ssh.session.%')).toEqual(expect.arrayContaining(['gateway.ssh.session.denied', 'gateway.ssh.session.started', 'gateway.ssh.session.ended']));
    }, 30_000);

    it('checks password and TOTP for keyboard-interactive with HTTP sign-in throttling and audit', async () => {
      const actor = { address: '192.0.2.10', userAgent: 'ssh' };
      t.clock.advance(30_000);
      const user = await t.ward.identity.verifyPasswordAndTotp({ username: 'alice', password: ALICE_PASSWORD, totp: totpNow(alice.totpSecret, t.clock) }, actor);
      expect(user.username).toBe('alice');
      // The same code twice is a replay.
      await expect(t.ward.identity.verifyPasswordAndTotp({ username: 'alice', password: ALICE_PASSWORD, totp: totpNow(alice.totpSecret, t.clock) }, actor)).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID' });
      await expect(t.ward.identity.verifyPasswordAndTotp({ username: 'alice', password: 'wrong', totp: '000000' }, actor)).rejects.toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
      const rows = await t.ward.database.db.selectFrom('audit_events').select(['outcome', 'body']).where('action', 'in', ['auth.login', 'auth.mfa.verify']).orderBy('sequence').execute();
      const viaSsh = rows.filter((r) => r.body.includes('ssh-keyboard-interactive') || r.body.includes('192.0.2.10'));
      expect(viaSsh.map((r) => r.outcome)).toEqual(['success', 'failure', 'failure']);
    });

    it('refuses a target whose host key is not pinned, naming what it saw, and connects once an admin pins it', async () => {
      const target = await ok('POST', '/api/v1/targets', admin, { name: 'pacs-01', address: `${sshd.host}:${sshd.port}`, protocols: ['ssh'], zone: 'enterprise', criticality: 'medium', ephiSensitivity: 'none' });
      const account = await ok('POST', `/api/v1/targets/${target.id as string}/accounts`, admin, { username: sshd.user, kind: 'human-admin' });
      await ok('POST', `/api/v1/accounts/${account.id as string}/secrets`, admin, { kind: 'ssh-key', value: sshd.userKey.privateKey });
      const request = await ok('POST', '/api/v1/access/requests', alice.token, { target: 'pacs-01', durationSeconds: 1800, reasonCode: 'HSYSADMIN', justification: 'restart the DICOM listener' });
      await ok('POST', `/api/v1/access/approvals/${request.id as string}/approve`, admin, {});
      const unpinned = await ssh('alice+pacs-01', 'echo hello');
      expect(unpinned.stdout).toBe('');
      expect(unpinned.stderr).toMatch(/host key of pacs-01 is not pinned yet \(seen SHA256:/);
      const pin = await cli(['inventory', 'host-keys', 'pin', 'pacs-01', sshd.hostPublicKey], admin);
      expect(pin.err).toBe('');
      expect(pin.code).toBe(0);
      const listed = await ok('GET', `/api/v1/targets/${target.id as string}/host-keys`, admin);
      expect(listed.items).toEqual([expect.objectContaining({ algorithm: 'ssh-ed25519', pinnedBy: expect.any(String) })]);
      expect(pin.out).toContain(listed.items[0].fingerprint as string);
      const mine = await cli(['ssh-keys', 'list'], alice.token);
      expect(mine.code).toBe(0);
      expect(mine.out).toContain('alice_key');
      const pinnedNow = await ssh('alice+pacs-01', 'echo hello');
      expect(pinnedNow.stdout).toBe('hello\n');
    });

    /**
     * Real OpenSSH answering Ward's keyboard-interactive prompts through SSH_ASKPASS (forced, no terminal needed):
     * the password and a one-time code computed from the test clock, which the server also uses.
     */
    async function sshInteractive(login: string, command: string, options: { key?: boolean } = {}) {
      t.clock.advance(30_000); // a fresh TOTP step: a code is accepted once
      const env = askpassEnv(sshd.directory, { password: ALICE_PASSWORD, code: totpNow(alice.totpSecret, t.clock) });
      const base = interactiveOptions(clientOptions({ identityFile: aliceKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }));
      const args = [...base, ...(options.key === false ? ['-o', 'PubkeyAuthentication=no'] : []), '-p', String(gatewayPort), `${login}@127.0.0.1`, command];
      return run('ssh', args, undefined, { env });
    }
    const sessionStarts = async () =>
      (await t.ward.database.db.selectFrom('audit_events').select('body').where('action', '=', 'gateway.ssh.session.started').orderBy('sequence').execute()).map(
        (r) => JSON.parse(r.body) as Json,
      );

    it('asks for the password and one-time code after the key where the target requires it, then rotates after use', async () => {
      const pacs = (await ok('GET', '/api/v1/targets?limit=100', admin)).items.find((x: Json) => x.name === 'pacs-01');
      await ok('PATCH', `/api/v1/targets/${pacs.id as string}`, admin, { sessionPolicy: { requireSecondFactor: true, rotateAfterUse: true } });
      // The key alone is not enough: OpenSSH in batch mode cannot answer the follow-up prompt.
      const keyOnly = await ssh('alice+pacs-01', 'echo hello');
      expect(keyOnly.code).toBe(255);
      expect(keyOnly.stdout).toBe('');
      const both = await sshInteractive('alice+pacs-01', 'echo hello');
      expect(both.stdout).toBe('hello\n');
      expect(both.code).toBe(0);
      const started = (await sessionStarts()).at(-1)!;
      expect(started.details.authMethod).toBe('publickey+keyboard-interactive');
      expect(started.policyIds).toEqual(expect.arrayContaining(['role.sysadmin.servers']));
      // Rotate after use: the account's key is due for rotation once the session ended, and the trail says why.
      const account = (await ok('GET', `/api/v1/targets/${pacs.id as string}/accounts`, admin)).items[0];
      const due = async () => (await ok('GET', `/api/v1/accounts/${account.id as string}/secrets`, admin)).items as Json[];
      for (let i = 0; i < 100 && (await due())[0]?.status !== 'rotation_due'; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await due())[0]).toMatchObject({ status: 'rotation_due', statusReason: 'rotate-after-use' });
      // The status is written first, the audit event right after it; the event names the session that used the key.
      const rotations = async () =>
        (await t.ward.database.db.selectFrom('audit_events').select('body').where('action', '=', 'vault.credential.rotation_due').execute())
          .map((r) => JSON.parse(r.body) as Json)
          .filter((e) => e.sessionId === started.sessionId);
      for (let i = 0; i < 100 && (await rotations()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await rotations()).toEqual([expect.objectContaining({ details: expect.objectContaining({ reason: 'rotate-after-use' }) })]);
    });

    it('refuses a password-only login to an ePHI target by the Cedar device rule, in one line', async () => {
      const pacs = (await ok('GET', '/api/v1/targets?limit=100', admin)).items.find((x: Json) => x.name === 'pacs-01');
      await ok('PATCH', `/api/v1/targets/${pacs.id as string}`, admin, { ephiSensitivity: 'full' });
      const refused = await sshInteractive('alice+pacs-01', 'echo hello', { key: false });
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('ward: refused by policy device.untrusted-ephi: Systems holding ePHI may not be reached from an unknown device');
      // The denial is audited as the connection is refused, which may be just after the client has exited.
      const policyDenials = async () =>
        (await t.ward.database.db.selectFrom('audit_events').select('body').where('action', '=', 'gateway.ssh.session.denied').execute())
          .map((r) => JSON.parse(r.body) as Json)
          .filter((e) => e.policyIds?.length);
      for (let i = 0; i < 100 && (await policyDenials()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await policyDenials()).map((e) => e.policyIds)).toEqual([['device.untrusted-ephi']]);
      // With the registered key (a known device) and the second factor the same target is reachable.
      const withKey = await sshInteractive('alice+pacs-01', 'echo hello');
      expect(withKey.stdout).toBe('hello\n');
    });

    it('enforces the target rules: allow-listed commands only, no shell, no file transfer', async () => {
      const pacs = (await ok('GET', '/api/v1/targets?limit=100', admin)).items.find((x: Json) => x.name === 'pacs-01');
      const bad = await api('PATCH', `/api/v1/targets/${pacs.id as string}`, admin, { sessionPolicy: { commandControl: 'allow', allowedCommands: ['uptime; id'] } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('shell metacharacter');
      await ok('PATCH', `/api/v1/targets/${pacs.id as string}`, admin, {
        ephiSensitivity: 'none',
        sessionPolicy: { commandControl: 'allow', allowedCommands: ['echo allowed'], fileTransfer: false },
      });
      const allowed = await ssh('alice+pacs-01', 'echo allowed');
      expect(allowed.stdout).toBe('allowed\n');
      const chained = await ssh('alice+pacs-01', 'echo allowed; id');
      expect(chained.stdout).toBe('');
      expect(chained.stderr).toContain('ward:');
      const shell = await run('ssh', [...clientOptions({ identityFile: aliceKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }), '-T', '-p', String(gatewayPort), 'alice+pacs-01@127.0.0.1'], 'id\n');
      expect(shell.stdout).toBe('');
      expect(shell.stderr).toContain('interactive shells are not allowed on pacs-01');
      writeFileSync(join(sshd.directory, 'batch'), 'ls\n');
      const sftp = await run('sftp', ['-b', join(sshd.directory, 'batch'), ...clientOptions({ identityFile: aliceKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }), '-P', String(gatewayPort), 'alice+pacs-01@127.0.0.1']);
      expect(sftp.code).not.toBe(0);
      for (let i = 0; i < 100 && (await actions('gateway.ssh.channel.denied')).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await actions('gateway.ssh.channel.denied')).toHaveLength(2);
    });

    it('refuses a critical target to a client in the internet zone by the Cedar network rule', async () => {
      const pacs = (await ok('GET', '/api/v1/targets?limit=100', admin)).items.find((x: Json) => x.name === 'pacs-01');
      await ok('PATCH', `/api/v1/targets/${pacs.id as string}`, admin, { criticality: 'clinical-critical', sessionPolicy: { requireSecondFactor: false } });
      const refused = await ssh('alice+pacs-01', 'echo hello');
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('ward: refused by policy network.internet-no-critical: Targets of risk tier 4 (critical) may not be reached directly from the internet');
      await ok('PATCH', `/api/v1/targets/${pacs.id as string}`, admin, { criticality: 'medium' });
    });

    it('after hours asks a key-only login with a stale second factor for a fresh one (policy after-hours.step-up)', async () => {
      const pacs = (await ok('GET', '/api/v1/targets?limit=100', admin)).items.find((x: Json) => x.name === 'pacs-01');
      await ok('PATCH', `/api/v1/targets/${pacs.id as string}`, admin, { sessionPolicy: null });
      t.clock.set(weekdayMorningUtc(t.clock.now()) + 12 * 3600_000); // 22:00 UTC, after hours
      admin = (await signInWithTotp(t, 'admin', ADMIN_PASSWORD, adminSignIn.totpSecret)).token;
      alice = { ...alice, token: (await signInWithTotp(t, 'alice', ALICE_PASSWORD, alice.totpSecret)).token };
      const request = await ok('POST', '/api/v1/access/requests', alice.token, { target: 'pacs-01', durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification: 'night maintenance' });
      await ok('POST', `/api/v1/access/approvals/${request.id as string}/approve`, admin, {});
      // Her proof is fresh from signing in: the key alone will do.
      expect((await ssh('alice+pacs-01', 'echo fresh')).stdout).toBe('fresh\n');
      // Twenty minutes later it is stale: the key alone is refused, the key plus password and code are not.
      await t.ward.database.db.updateTable('auth_sessions').set({ mfa_verified_at: t.clock.now() - 20 * 60_000 }).where('user_id', '=', aliceId).execute();
      const stale = await ssh('alice+pacs-01', 'echo stale');
      expect(stale.code).toBe(255);
      const stepped = await sshInteractive('alice+pacs-01', 'echo stepped-up');
      expect(stepped.stdout).toBe('stepped-up\n');
    });

    it('refuses a disabled user even with a registered key', async () => {
      await ok('POST', `/api/v1/users/${aliceId}/disable`, admin, { reason: 'leaver' });
      const refused = await ssh('alice+pacs-01', 'echo hello');
      expect(refused.code).toBe(255);
      expect(refused.stdout).toBe('');
    });
  });
}

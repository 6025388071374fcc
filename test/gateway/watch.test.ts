// Watching a live session and finding recordings over HTTP, in a composed Ward (both dialects) with a real sshd
// target and real OpenSSH `ssh` clients: the watch stream carries what the target prints, is audited, and ends with
// the termination reason; the recordings search lists sealed recordings by user, target and time.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOptions, generateKey, run, sshAvailable, startSshd, type KeyPair, type TestSshd } from '../support/sshd.js';
import { ADMIN_PASSWORD, signInWithTotp, startTestWard, type TestWard } from '../support/ward.js';
import { dialects, noteSkipped, postgresAvailable } from '../support/dialects.js';

const sshPresent = sshAvailable('test/gateway/watch.test.ts');
const postgresReachable = await postgresAvailable();
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers are checked field by field below
type Json = Record<string, any>;
const BOB_PASSWORD = 'Bob-keeps-the-lab-servers-running-2026!';

for (const dialect of dialects) {
  const skip = !sshPresent || (dialect === 'postgres' && !postgresReachable);
  if (dialect === 'postgres' && !postgresReachable) noteSkipped(`watch and recordings over HTTP [postgres]`, 'PostgreSQL not reachable');

  describe.skipIf(skip)(`watching sessions and searching recordings over HTTP [${dialect}]`, () => {
    let t: TestWard;
    let sshd: TestSshd;
    let admin: string;
    let bobKey: KeyPair;
    let knownHosts: string;
    let gatewayPort: number;
    let baseUrl: string;

    const ok = async (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) => {
      const response = await t.ward.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as Json }) });
      if (response.statusCode >= 400) throw new Error(`${method} ${url} → ${response.statusCode} ${response.body}`);
      return response.json() as Json;
    };
    const sshArgs = (command: string) => [...clientOptions({ identityFile: bobKey.privateKeyPath, knownHostsFile: knownHosts, port: gatewayPort }), '-tt', '-p', String(gatewayPort), 'bob+lab-01@127.0.0.1', command];
    const waitFor = async (probe: () => boolean | Promise<boolean>, what: string) => {
      for (let i = 0; i < 200; i++) {
        if (await probe()) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    };

    beforeAll(async () => {
      sshd = await startSshd();
      t = await startTestWard(dialect);
      baseUrl = (await t.ward.listen()).url;
      gatewayPort = t.ward.ssh.address()!.port;
      admin = (await signInWithTotp(t, 'admin', ADMIN_PASSWORD)).token;
      await ok('POST', '/api/v1/zones', admin, { name: 'enterprise' });
      const target = await ok('POST', '/api/v1/targets', admin, { name: 'lab-01', address: `${sshd.host}:${sshd.port}`, protocols: ['ssh'], zone: 'enterprise', criticality: 'medium', ephiSensitivity: 'none' });
      const account = await ok('POST', `/api/v1/targets/${target.id as string}/accounts`, admin, { username: sshd.user, kind: 'human-admin' });
      await ok('POST', `/api/v1/accounts/${account.id as string}/secrets`, admin, { kind: 'ssh-key', value: sshd.userKey.privateKey });
      await ok('POST', `/api/v1/targets/${target.id as string}/host-keys`, admin, { publicKey: sshd.hostPublicKey });
      const role = await ok('POST', '/api/v1/roles', admin, { name: 'sysadmin', permissions: ['access.request'] });
      const approverRole = await ok('POST', '/api/v1/roles', admin, { name: 'approver', permissions: ['access.approve'] });
      const adminUser = await ok('GET', '/api/v1/users?username=admin', admin);
      await ok('POST', '/api/v1/role-assignments', admin, { roleId: approverRole.id, subjectType: 'user', subjectId: adminUser.items[0].id });
      const user = await ok('POST', '/api/v1/users', admin, { username: 'bob', displayName: 'Bob Lab', password: BOB_PASSWORD });
      await ok('POST', '/api/v1/role-assignments', admin, { roleId: role.id, subjectType: 'user', subjectId: user.id });
      const bob = await signInWithTotp(t, 'bob', BOB_PASSWORD);
      bobKey = generateKey(sshd.directory, 'bob_key');
      await ok('POST', '/api/v1/me/ssh-keys', bob.token, { publicKey: bobKey.publicKey });
      const request = await ok('POST', '/api/v1/access/requests', bob.token, { target: 'lab-01', durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification: 'clear the analyser queue' });
      await ok('POST', `/api/v1/access/approvals/${request.id as string}/approve`, admin, { note: 'ok' });
      knownHosts = join(sshd.directory, 'gateway_known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${gatewayPort} ${t.ward.ssh.gateway.hostPublicKey}\n`);
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      await sshd?.stop();
    });

    it('streams a live ssh session to a watcher, audits the watch, and ends the stream with the termination reason', async () => {
      const child = spawn('ssh', sshArgs('i=0; while true; do i=$((i+1)); echo lab-tick-$i; sleep 0.2; done'), { stdio: ['pipe', 'pipe', 'pipe'] });
      let clientSaw = '';
      child.stdout.on('data', (chunk: Buffer) => (clientSaw += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (clientSaw += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      await waitFor(() => clientSaw.includes('lab-tick-'), 'the client to see output');
      const [live] = (await ok('GET', '/api/v1/gateway/ssh/sessions', admin)).items as Array<{ id: string }>;

      const response = await fetch(`${baseUrl}/api/v1/gateway/ssh/sessions/${live!.id}/watch`, { headers: { authorization: `Bearer ${admin}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let stream = '';
      const readUntil = async (done: () => boolean) => {
        while (!done()) {
          const chunk = await reader.read();
          if (chunk.done) return;
          stream += chunk.value;
        }
      };
      await readUntil(() => /"o","lab-tick-\d+/.test(stream));
      expect(JSON.parse(stream.split('\n')[0]!.slice('data: '.length))).toMatchObject({ cols: 80, rows: 24 });
      const watched = await t.ward.audit.search({ action: 'gateway.ssh.session.watched' });
      expect(watched).toEqual([expect.objectContaining({ sessionId: live!.id, target: expect.objectContaining({ name: 'bob', system: 'lab-01' }) })]);

      await ok('POST', `/api/v1/gateway/ssh/sessions/${live!.id}/terminate`, admin, { reason: 'analyser maintenance window closed' });
      await readUntil(() => false);
      expect(stream).toContain('event: done\ndata: {"reason":"analyser maintenance window closed"}');
      expect(await exited).not.toBe(0);
      expect(clientSaw).toContain('analyser maintenance window closed');
      const notLive = await t.ward.app.inject({ url: `/api/v1/gateway/ssh/sessions/${live!.id}/watch`, headers: { authorization: `Bearer ${admin}` } });
      expect(notLive.statusCode).toBe(404);
    }, 30_000);

    it('lists sealed recordings filtered by user, target and time, newest first, with hash and size', async () => {
      const done = await run('ssh', sshArgs('echo recorded-line; exit 0'));
      expect(done.code).toBe(0);
      // Two: the session terminated in the test above (sealed when Ward ended it) and this one.
      await waitFor(async () => (await t.ward.audit.search({ action: 'gateway.ssh.recording.sealed' })).length >= 2, 'two sealed recordings');
      const found = await ok('GET', '/api/v1/recordings?user=bob&target=lab-01', admin);
      expect(found.items).toHaveLength(2);
      const terminated = await t.ward.app.inject({ url: `/api/v1/recordings/${found.items[1].id as string}`, headers: { authorization: `Bearer ${admin}` } });
      expect(terminated.body).toContain('lab-tick-1');
      const newest = found.items[0];
      expect(newest).toMatchObject({ user: 'bob', target: 'lab-01', account: sshd.user, zone: 'enterprise', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(newest.bytes).toBeGreaterThan(0);
      expect(newest.startedAt).toBeLessThanOrEqual(newest.endedAt);
      const played = await t.ward.app.inject({ url: `/api/v1/recordings/${newest.id as string}`, headers: { authorization: `Bearer ${admin}` } });
      expect(played.body).toContain('recorded-line');
      expect((await ok('GET', '/api/v1/recordings?user=someone-else', admin)).items).toEqual([]);
      expect((await ok('GET', '/api/v1/recordings?target=lab-02', admin)).items).toEqual([]);
      expect((await ok('GET', `/api/v1/recordings?to=${t.clock.now() - 3_600_000}`, admin)).items).toEqual([]);
      const bad = await t.ward.app.inject({ url: '/api/v1/recordings?limit=0', headers: { authorization: `Bearer ${admin}` } });
      expect(bad.statusCode).toBe(400);
    }, 30_000);
  });
}

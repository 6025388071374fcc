// `ward demo`'s working SSH target on a fresh data dir: Ward starts a private sshd, registers demo-linux-01 with its
// key in the vault and its host key pinned; Sam (sysadmin) requests it, real OpenSSH connects through the gateway
// answering Ward's password + one-time-code prompts, and the recording plays back through `ward play`.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askpassEnv, clientOptions, interactiveOptions, run, sshAvailable } from '../support/sshd.js';
import { ADMIN_PASSWORD, signInWithTotp, startTestWard, totpNow, weekdayMorningUtc, type TestWard } from '../support/ward.js';
import { loadDemoHospital } from '../../src/server/demo.js';
import { DEMO_SSH_TARGET, startDemoSshTarget, type DemoSshTarget } from '../../src/server/demo-ssh.js';
import { createCliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';

const sshPresent = sshAvailable('test/server/demo-ssh.test.ts');

describe.skipIf(!sshPresent)('demo SSH target', () => {
  let t: TestWard;
  let target: DemoSshTarget;
  let sam: { token: string; totpSecret: string };
  let userPassword: string;
  let knownHosts: string;
  let gateway: { host: string; port: number };
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestWard('sqlite', { WARD_TIME_ZONE: 'UTC' }, { clockStart: weekdayMorningUtc() });
    await loadDemoHospital(t.ward);
    baseUrl = (await t.ward.listen()).url;
    gateway = t.ward.ssh.address()!;
    target = await startDemoSshTarget(t.ward);
    userPassword = (JSON.parse((await import('node:fs')).readFileSync(join(t.dataDir, 'demo-credentials.json'), 'utf8')) as { userPassword: string }).userPassword;
    sam = await signInWithTotp(t, 'sam.patel', userPassword);
    knownHosts = join(t.dataDir, 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${gateway.port} ${t.ward.ssh.gateway.hostPublicKey}\n`);
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
    await t?.close();
  });

  async function sshAsSam(command: string) {
    t.clock.advance(30_000);
    const env = askpassEnv(t.dataDir, { password: userPassword, code: totpNow(sam.totpSecret, t.clock) });
    // Sam has no registered key: an unused throwaway identity file keeps OpenSSH away from the user's own keys.
    const options = interactiveOptions(clientOptions({ identityFile: '/dev/null', knownHostsFile: knownHosts, port: gateway.port }));
    return run('ssh', [...options, '-o', 'PubkeyAuthentication=no', '-p', String(gateway.port), `sam.patel+${DEMO_SSH_TARGET}@${gateway.host}`, command], undefined, { env });
  }

  it('says how to use the target, and in one line how to get sshd when it is missing', async () => {
    expect(target.lines.join('\n')).toContain(`sam.patel+${DEMO_SSH_TARGET}@${gateway.host}`);
    const without = await startDemoSshTarget(t.ward, { installed: () => false });
    expect(without.lines).toEqual([expect.stringContaining('apt-get install openssh-server')]);
  });

  it('request → connect through the gateway → replay, with the target key never leaving Ward', async () => {
    const created = await t.ward.app.inject({
      method: 'POST',
      url: '/api/v1/access/requests',
      headers: { authorization: `Bearer ${sam.token}` },
      payload: { target: DEMO_SSH_TARGET, durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification: 'try the demo' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().status).toBe('approved');

    const result = await sshAsSam('echo demo-ok; id -un');
    expect(result.stdout.split('\n')[0]).toBe('demo-ok');
    expect(result.code).toBe(0);

    const admin = (await signInWithTotp(t, 'admin', ADMIN_PASSWORD)).token;
    let sessionId: string | undefined;
    for (let i = 0; i < 100 && !sessionId; i++) {
      const [sealed] = await t.ward.audit.search({ action: 'gateway.ssh.recording.sealed', limit: 1 });
      sessionId = sealed?.sessionId ?? undefined;
      if (!sessionId) await new Promise((r) => setTimeout(r, 50));
    }
    expect(sessionId).toBeDefined();
    const context = createCliContext({ WARD_URL: baseUrl, WARD_TOKEN: admin, WARD_DATA_DIR: t.dataDir, WARD_LOG_LEVEL: 'silent' });
    let out = '';
    context.out = { write: (text: string) => ((out += text), true) } as unknown as NodeJS.WritableStream;
    let err = '';
    context.err = { write: (text: string) => ((err += text), true) } as unknown as NodeJS.WritableStream;
    expect(await runCli(['play', sessionId!, '--speed', '1000'], context), err).toBe(0);
    expect(out).toContain('demo-ok');
  });

  it('follows a restart: a new port in the inventory, the same pinned host key', async () => {
    await target.stop();
    target = await startDemoSshTarget(t.ward);
    const found = await t.ward.inventory.findTargetByName(DEMO_SSH_TARGET);
    expect(target.lines[0]).toContain(found!.address);
    expect(await t.ward.ssh.hostKeys.list(found!.id)).toHaveLength(1);
    expect((await sshAsSam('echo again')).stdout).toBe('again\n');
  });
});

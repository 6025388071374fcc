// End-to-end: the real OpenSSH clients (ssh, scp, sftp) through the Ward gateway to a private OpenSSH sshd.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { clientOptions, generateKey, run, sshAvailable, startSshd, type TestSshd } from '../support/sshd.js';
import { ALICE, ALICE_PASSWORD, startGatewayFixture, type GatewayFixture } from './fixture.js';
import { decryptRecording, outputText, parseAsciicast } from '../../src/recording/playback.js';

const available = sshAvailable('test/gateway/ssh.test.ts');

describe.skipIf(!available)('SSH gateway with real OpenSSH', () => {
  let sshd: TestSshd;
  let fx: GatewayFixture;
  let otherHostKey: string;

  beforeAll(async () => {
    sshd = await startSshd();
    otherHostKey = generateKey(sshd.directory, 'impostor_host_key').publicKey.split(' ').slice(0, 2).join(' ');
    fx = await startGatewayFixture(sshd, [
      { name: 'ehr-db-01' },
      { name: 'pacs-01', sftp: false },
      { name: 'lab-01', zone: 'laboratory' },
      { name: 'spoofed-01', hostKeys: [otherHostKey] },
      { name: 'infusion-01', commandControl: { mode: 'allow', commands: [['id', '-un'], ['uname', '-s']] } },
      { name: 'ris-01', commandControl: { mode: 'deny' } },
      { name: 'idle-01', idleTimeoutMs: 1 },
      { name: 'no-grant-01' },
    ]);
    fx.grants.delete('no-grant-01');
  });
  afterAll(async () => {
    await fx?.stop();
    await sshd?.stop();
  });

  const ssh = (login: string, args: string[], input?: string, key = fx.aliceKey.privateKeyPath) =>
    run('ssh', [
      ...clientOptions({ identityFile: key, knownHostsFile: fx.knownHosts, port: fx.port }),
      '-p', String(fx.port), `${login}@127.0.0.1`, ...args,
    ], input);

  const recordingsOf = (sessionId: string) =>
    readdirSync(fx.recordingDirectory).filter((file) => file.startsWith(sessionId)).sort();

  const lastSessionId = (action = 'gateway.ssh.session.started') => fx.audit.find(action).at(-1)!.sessionId!;

  const waitFor = async <T>(probe: () => T | undefined | false, what: string): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const value = probe();
      if (value) return value;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('runs an exec command on the target with the vaulted key and passes the exit status back', async () => {
    const ok = await ssh('alice+ehr-db-01', ['echo', 'hello-from-$(hostname -s)', '&&', 'whoami']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('hello-from-');
    expect(ok.stdout.trim().split('\n').at(-1)).toBe(sshd.user);
    const failing = await ssh('alice+ehr-db-01', ['sh', '-c', "'echo oops >&2; exit 3'"]);
    expect(failing.code).toBe(3);
    expect(failing.stderr).toContain('oops');
    const started = fx.audit.find('gateway.ssh.session.started').at(-1)!;
    expect(started.actor.id).toBe(ALICE.id);
    expect(started.target?.name).toBe('ehr-db-01');
  });

  it('names the target account in the login (alice+account@target) and passes stdin with an immediate EOF', async () => {
    const result = await ssh(`alice+${sshd.user}@ehr-db-01`, ['wc', '-c'], 'x'.repeat(100_000));
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('100000');
    const empty = await run('ssh', [
      ...clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port }),
      '-n', '-p', String(fx.port), 'alice+ehr-db-01@127.0.0.1', 'cat; echo done',
    ]);
    expect(empty.stdout.trim()).toBe('done');
  });

  it('gives an interactive pty shell whose recording replays exactly what the target printed', async () => {
    const marker = `ward-${randomBytes(4).toString('hex')}`;
    const result = await ssh('alice+ehr-db-01', ['-tt'], `stty -echo; printf '%s-%s\\n' ${marker} $((6*7)); tty; exit 0\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${marker}-42`);
    expect(result.stdout).toMatch(/\/dev\/pts\//);
    const sessionId = lastSessionId();
    await waitFor(() => fx.audit.find('gateway.ssh.recording.sealed').find((e) => e.sessionId === sessionId), 'recording sealed');
    const [file] = recordingsOf(sessionId);
    const { asciicast, sha256 } = await decryptRecording(join(fx.recordingDirectory, file!), fx.keys);
    const sealed = fx.audit.find('gateway.ssh.recording.sealed').find((e) => e.sessionId === sessionId)!;
    expect(sealed.details?.sha256).toBe(sha256);
    const text = asciicast.toString('utf8');
    const { header, events } = parseAsciicast(text);
    expect(header.version).toBe(2);
    expect(events.some((event) => event.code === 'i' && event.data.includes('printf'))).toBe(true);
    // What the user's terminal received is exactly the recorded output.
    expect(outputText(text)).toBe(result.stdout);

    // `asciinema cat` accepts the exported plain asciicast and prints the same output.
    const exported = join(fx.directory, `${sessionId}.cast`);
    writeFileSync(exported, asciicast);
    // asciinema reads /dev/tty, so give it one with script(1).
    const cat = spawnSync('script', ['-qec', `asciinema cat ${exported}`, '/dev/null']);
    expect(cat.status).toBe(0);
    expect(cat.stdout.toString()).toContain(`${marker}-42`);
  });

  it('records window changes and passes environment variables with ssh2 as the client', async () => {
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject);
      client.connect({
        host: '127.0.0.1',
        port: fx.port,
        username: 'alice+ehr-db-01',
        privateKey: readFileSync(fx.aliceKey.privateKeyPath),
      });
    });
    const output = await new Promise<string>((resolve, reject) => {
      client.shell({ rows: 24, cols: 80, term: 'xterm' }, { env: { WARD_PROBE: 'probe-value' } }, (error, stream) => {
        if (error) return reject(error);
        let text = '';
        let asked = false;
        stream.on('data', (data: Buffer) => {
          text += data.toString();
          if (!asked) {
            asked = true;
            stream.setWindow(50, 132, 0, 0);
            stream.write('echo "env=$WARD_PROBE"; echo "size=$(stty size | tr " " x)"\n');
          }
          if (text.includes('size=50x132') && !text.includes('exit-sent')) {
            stream.write('echo exit-sent; exit\n');
          }
        });
        stream.on('close', () => resolve(text));
      });
    });
    client.end();
    expect(output).toContain('env=probe-value');
    expect(output).toContain('size=50x132');
    const sessionId = lastSessionId();
    await waitFor(() => fx.audit.find('gateway.ssh.recording.sealed').find((e) => e.sessionId === sessionId), 'recording');
    const { asciicast } = await decryptRecording(join(fx.recordingDirectory, recordingsOf(sessionId)[0]!), fx.keys);
    expect(parseAsciicast(asciicast.toString()).events).toContainEqual(expect.objectContaining({ code: 'r', data: '132x50' }));
  });

  it('authenticates with password and TOTP over keyboard-interactive', async () => {
    const attempt = (code: string) =>
      new Promise<string>((resolve, reject) => {
        const client = new ssh2.Client();
        client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) =>
          finish(prompts.map((prompt) => (prompt.prompt.includes('password') ? ALICE_PASSWORD : code))),
        );
        client.once('error', (error) => resolve(`error: ${error.message}`));
        client.once('ready', () =>
          client.exec('echo kbd-ok', (error, stream) => {
            if (error) return reject(error);
            let out = '';
            stream.on('data', (data: Buffer) => (out += data.toString())).on('close', () => {
              client.end();
              resolve(out.trim());
            });
          }),
        );
        client.connect({ host: '127.0.0.1', port: fx.port, username: 'alice+ehr-db-01', tryKeyboard: true });
      });
    expect(await attempt(fx.totp.generate())).toBe('kbd-ok');
    expect(await attempt('000000')).toMatch(/^error: All configured authentication methods failed/);
  });

  it('transfers files with sftp and logs each file with its size and SHA-256', async () => {
    const payload = randomBytes(300_000);
    const local = join(fx.directory, 'upload.bin');
    const remote = join(sshd.directory, 'uploaded.bin');
    const back = join(fx.directory, 'download.bin');
    writeFileSync(local, payload);
    const batch = join(fx.directory, 'batch');
    writeFileSync(batch, `put ${local} ${remote}\nget ${remote} ${back}\n`);
    const result = await run('sftp', [
      ...clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port }),
      '-P', String(fx.port), '-b', batch, 'alice+ehr-db-01@127.0.0.1',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(back).equals(payload)).toBe(true);
    const digest = createHash('sha256').update(payload).digest('hex');
    const sessionId = lastSessionId();
    const transfers = await waitFor(() => {
      const found = fx.audit.find('gateway.ssh.file.transferred').filter((e) => e.sessionId === sessionId);
      return found.length === 2 && found;
    }, 'two transfers');
    expect(transfers.map((e) => e.details)).toEqual([
      expect.objectContaining({ direction: 'upload', path: remote, bytes: payload.length, sha256: digest }),
      expect.objectContaining({ direction: 'download', path: remote, bytes: payload.length, sha256: digest }),
    ]);
  });

  it('copies with scp (both the SFTP-based default and the legacy -O protocol)', async () => {
    const local = join(fx.directory, 'scp.txt');
    writeFileSync(local, 'scp payload\n');
    const options = clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port });
    for (const [mode, name] of [[[], 'scp-default.txt'], [['-O'], 'scp-legacy.txt']] as const) {
      const result = await run('scp', [...options, ...mode, '-P', String(fx.port), local, `alice+ehr-db-01@127.0.0.1:${join(sshd.directory, name)}`]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(readFileSync(join(sshd.directory, name), 'utf8')).toBe('scp payload\n');
    }
    expect(fx.audit.find('gateway.ssh.file.transferred').some((e) => e.details?.path === join(sshd.directory, 'scp-default.txt'))).toBe(true);
  });

  it('refuses sftp where policy denies it, explaining why in one line', async () => {
    const batch = join(fx.directory, 'batch-ls');
    writeFileSync(batch, 'ls\n');
    const result = await run('sftp', [
      ...clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port }),
      '-P', String(fx.port), '-b', batch, 'alice+pacs-01@127.0.0.1',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('ward: file transfer (sftp) is not allowed on pacs-01');
    expect(fx.audit.find('gateway.ssh.channel.denied').at(-1)?.details).toMatchObject({ channel: 'sftp' });
  });

  it('refuses port forwarding by default and audits the attempt', async () => {
    const result = await ssh('alice+ehr-db-01', ['-W', `127.0.0.1:${sshd.port}`]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/open failed|administratively prohibited|stdio forwarding failed/);
    expect(fx.audit.find('gateway.ssh.channel.denied').at(-1)?.details).toMatchObject({
      channel: 'port-forward',
      detail: `127.0.0.1:${sshd.port}`,
    });
  });

  it('rejects a key that is not registered to the user and audits the failed login', async () => {
    const before = fx.audit.find('gateway.ssh.login').length;
    const result = await ssh('alice+ehr-db-01', ['true'], undefined, fx.strangerKey.privateKeyPath);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Permission denied');
    expect(fx.audit.find('gateway.ssh.login').length).toBeGreaterThan(before);
    expect(fx.audit.find('gateway.ssh.login').at(-1)).toMatchObject({ outcome: 'failure', actor: { name: 'alice' } });
  });

  it('refuses without a grant and outside the gateway zone, with a one-line reason', async () => {
    const noGrant = await ssh('alice+no-grant-01', ['true']);
    expect(noGrant.code).toBe(1);
    expect(noGrant.stderr.trim()).toBe('ward: no active grant for no-grant-01; request access with `ward request`');
    const fenced = await ssh('alice+lab-01', ['true']);
    expect(fenced.stderr.trim()).toBe('ward: lab-01 is in zone laboratory, which this gateway does not serve');
    const unknown = await ssh('alice+nowhere-99', ['true']);
    expect(unknown.stderr.trim()).toBe('ward: unknown target or account: nowhere-99');
    expect(fx.audit.find('gateway.ssh.session.denied').map((e) => e.details?.reason)).toEqual(
      expect.arrayContaining([expect.stringContaining('no active grant'), expect.stringContaining('zone laboratory')]),
    );
  });

  it('refuses a target whose host key does not match the pinned key and raises an alert', async () => {
    const result = await ssh('alice+spoofed-01', ['true']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the host key of spoofed-01 does not match the pinned key');
    const alert = fx.audit.find('gateway.ssh.hostkey.mismatch').at(-1)!;
    expect(alert.details?.alert).toBe(true);
    expect(alert.target?.name).toBe('spoofed-01');
  });

  it('allow-mode runs only exact allow-listed commands and refuses shells and metacharacters', async () => {
    const allowed = await ssh('alice+infusion-01', ['id', '-un']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.trim()).toBe(sshd.user);
    const chained = await ssh('alice+infusion-01', ['id -un; touch /tmp/ward-pwned']);
    expect(chained.code).toBe(1);
    expect(chained.stderr).toContain('ward: command refused: shell metacharacter ";"');
    const other = await ssh('alice+infusion-01', ['id']);
    expect(other.stderr).toContain('ward: command not on the allow-list: id');
    const shell = await ssh('alice+infusion-01', ['-tt'], 'id\n');
    expect(shell.stderr + shell.stdout).toContain('interactive shells are not allowed on infusion-01');
    expect(fx.audit.find('gateway.ssh.command.blocked').filter((e) => e.details?.mode === 'allow').length).toBeGreaterThanOrEqual(3);
  });

  it('deny-mode blocks a chained command line in a shell, alerts, and keeps the shell usable', async () => {
    const child = spawn('ssh', [
      ...clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port }),
      '-tt', '-p', String(fx.port), 'alice+ris-01@127.0.0.1',
    ]);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    // Typed one line at a time, as a person would.
    child.stdin.write('PS1=ready-; stty -echo\n');
    await waitFor(() => stdout.includes('command separator'), 'first line blocked');
    child.stdin.write('PS1=ready-\n');
    await waitFor(() => stdout.includes('ready-'), 'prompt');
    child.stdin.write('expr 1000 + 337; expr 40 + 2\n');
    await waitFor(() => stdout.split('command separator').length > 2, 'second line blocked');
    child.stdin.write('expr 600 + 66\n');
    await waitFor(() => stdout.includes('666'), 'allowed line ran');
    child.stdin.end('exit\n');
    expect(await exited).toBe(0);
    expect(stdout).toContain('ward: blocked: command separator ;');
    expect(stdout).not.toContain('1337');
    expect(stdout).not.toMatch(/^42\r?$/m);
    const blocked = fx.audit.find('gateway.ssh.command.blocked').at(-1)!;
    expect(blocked.details).toMatchObject({ mode: 'deny', alert: true, command: 'expr 1000 + 337; expr 40 + 2' });
  });

  it('ends a live session within a second of its grant ending, and the user is told why', async () => {
    const child = spawn('ssh', [
      ...clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port }),
      '-p', String(fx.port), 'alice+ehr-db-01@127.0.0.1', 'echo started; sleep 60',
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await waitFor(() => stdout.includes('started'), 'session start');
    const live = fx.gateway.sessions.list().find((s) => s.grantId === 'grant-ehr-db-01' && s.channels.some((c) => c.includes('sleep')));
    expect(live).toBeDefined();
    const endedAt = Date.now();
    fx.events.publish('access.grant.ended', { grantId: 'grant-ehr-db-01', userId: ALICE.id, reason: 'expired' });
    const code = await exited;
    const tookMs = Date.now() - endedAt;
    expect(code).not.toBe(0);
    expect(stderr).toContain('ward: session ended: grant expired');
    await waitFor(() => fx.gateway.sessions.get(live!.id) === undefined, 'session removed from the registry');
    // The one-second promise is the product's; the margin here is for a loaded CI machine.
    expect(tookMs).toBeLessThan(5000);
    await waitFor(() => fx.audit.find('gateway.ssh.session.ended').find((e) => e.sessionId === live!.id), 'end audited');
  });

  it('lists, watches and terminates live sessions, and ends all of a user\'s sessions on lock', async () => {
    const start = (command: string) => {
      const child = spawn('ssh', [
        ...clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port }),
        '-p', String(fx.port), 'alice+ehr-db-01@127.0.0.1', command,
      ]);
      return new Promise<number | null>((resolve) => child.once('close', resolve));
    };
    const first = start('for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo tick-$i; sleep 0.2; done; sleep 60');
    const second = start('sleep 60');
    const sessions = await waitFor(() => {
      const list = fx.gateway.sessions.list().filter((s) => s.channels.some((c) => c.includes('sleep 60')));
      return list.length === 2 && list;
    }, 'two live sessions');
    const watched = sessions.find((s) => s.channels[0]!.includes('tick'))!;
    let seen = '';
    const stop = fx.gateway.sessions.watch(watched.id, (event) => {
      if (event.code === 'o') seen += event.data.toString();
    });
    await waitFor(() => /tick-\d+/.test(seen), 'watched output');
    stop();
    expect(fx.gateway.sessions.terminate(watched.id, 'terminated by a security analyst')).toBe(true);
    expect(await first).not.toBe(0);
    fx.events.publish('identity.user.locked', { userId: ALICE.id, reason: 'leaver' });
    expect(await second).not.toBe(0);
    await waitFor(() => fx.gateway.sessions.list().filter((s) => s.userId === ALICE.id).length === 0, 'no live sessions');
    // A session Ward ended is sealed like any other, and its recording plays back what the target printed.
    await waitFor(() => fx.audit.find('gateway.ssh.recording.sealed').find((e) => e.sessionId === watched.id), 'terminated session sealed');
    const { asciicast } = await decryptRecording(join(fx.recordingDirectory, recordingsOf(watched.id)[0]!), fx.keys);
    expect(outputText(asciicast.toString('utf8'))).toContain('tick-1');
  });

  it('logs the user off after the idle timeout', async () => {
    const child = spawn('ssh', [
      ...clientOptions({ identityFile: fx.aliceKey.privateKeyPath, knownHostsFile: fx.knownHosts, port: fx.port }),
      '-p', String(fx.port), 'alice+idle-01@127.0.0.1', 'sleep 60',
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.once('close', resolve));
    await waitFor(() => fx.gateway.sessions.list().find((s) => s.target === 'idle-01'), 'idle session');
    await exited;
    expect(stderr).toContain('idle timeout (automatic logoff)');
  });
});

// Starts a private rsyslogd (Debian package) with a TLS (RFC 5425) and a plain TCP listener and a test CA made with
// openssl, writing every received message to a file in a fixed, parseable template.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
export { freePort };

export const RSYSLOGD = '/usr/sbin/rsyslogd';

export function rsyslogAvailable(): boolean {
  const present = existsSync(RSYSLOGD);
  if (!present && (process.env.CI === 'true' || process.env.CI === '1')) throw new Error(`rsyslog is required in CI but ${RSYSLOGD} is missing`);
  return present;
}


export interface RsyslogInstance {
  tlsPort: number;
  tcpPort: number;
  caPem: string;
  output: string;
  lines(): string[];
  stop(): Promise<void>;
}

function makeCa(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Ward Test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
}

export async function startRsyslog(): Promise<RsyslogInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'ward-rsyslog-'));
  makeCa(dir);
  const tlsPort = await freePort();
  const tcpPort = await freePort();
  const output = join(dir, 'received.log');
  writeFileSync(output, '');
  const config = `
global(workDirectory="${dir}"
  defaultNetstreamDriverCAFile="${dir}/ca.pem"
  defaultNetstreamDriverCertFile="${dir}/server.pem"
  defaultNetstreamDriverKeyFile="${dir}/server.key"
  maxMessageSize="64k")
module(load="imtcp" maxSessions="100")
input(type="imtcp" port="${tlsPort}" address="127.0.0.1" ruleset="ward" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" port="${tcpPort}" address="127.0.0.1" ruleset="ward")
template(name="wardfmt" type="string" string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n")
ruleset(name="ward") { action(type="omfile" file="${output}" template="wardfmt" flushOnTXEnd="on" asyncWriting="off") }
`;
  writeFileSync(join(dir, 'rsyslog.conf'), config);
  const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (errors += d.toString()));
  // Ready when both listeners accept connections.
  const { connect } = await import('node:net');
  const deadline = Date.now() + 15_000;
  for (const port of [tlsPort, tcpPort]) {
    while (true) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (ok) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rsyslogd did not start: ${errors}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    tlsPort,
    tcpPort,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    output,
    lines: () => readFileSync(output, 'utf8').split('\n').filter((l) => l.length > 0),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Splits a line of the `wardfmt` template into its fields (the message itself may contain "|"). */
export function parseReceived(line: string) {
  const parts = line.split('|');
  const [pri, time, hostname, appName, procId, msgId, ...rest] = parts;
  // Structured data never contains "|" in Ward's output; the message may.
  const sd = rest[0]!;
  const msg = rest.slice(1).join('|').replace(/^\s+/, '');
  return { pri: Number(pri), time: time!, hostname: hostname!, appName: appName!, procId: procId!, msgId: msgId!, structuredData: sd, msg };
}

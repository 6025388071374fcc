// The SSH gateway: authenticates Ward users, decides with policy, logs into the target with the vaulted credential,
// relays channels byte for byte while recording them, and ends sessions when their grant, user or idle time ends.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type {
  AuthContext,
  ClientChannel,
  Connection,
  ConnectConfig,
  PseudoTtyInfo,
  ServerChannel,
  Session,
  Algorithms,
} from 'ssh2';
import type { AuditEventInput, AuditLog } from '../../audit/types.js';
import type { Clock } from '../../platform/clock.js';
import type { EventBus } from '../../platform/events.js';
import { newId } from '../../platform/ids.js';
import { secret } from '../../platform/secret.js';
import { createRecorder, type Recorder, type RecorderOptions } from '../../recording/recorder.js';
import { checkAllowList, createLineGuard } from './command-control.js';
import { createLiveSessionRegistry, type LiveSession, type LiveSessions } from './live.js';
import { parseSelection } from './selection.js';
import { createSftpTransferLog, type FileTransfer } from './sftp-log.js';
import type {
  ChannelKind,
  ConnectContext,
  ConnectDecision,
  GatewayAuthorizer,
  GatewayTargets,
  GatewayUser,
  GatewayUsers,
  RecordingKeys,
  ResolvedAccount,
  ResolvedTarget,
} from './types.js';

const { Server, Client, utils } = ssh2;

export interface SshGatewayDeps {
  listen: { host: string; port: number };
  /** Where the gateway's persistent host key lives (generated on first start). */
  hostKeyDirectory: string;
  /** Where encrypted recordings are written (`<sessionId>-<n>.cast.enc`). */
  recordingDirectory: string;
  /** The zones this gateway serves (zone fence). */
  zones: string[];
  users: GatewayUsers;
  targets: GatewayTargets;
  authorizer: GatewayAuthorizer;
  audit: AuditLog;
  recordingKeys: RecordingKeys;
  events: Pick<EventBus, 'subscribe'>;
  clock: Clock;
  /** Default automatic logoff when policy sets none (HIPAA 164.312(a)(2)(iii)). */
  idleTimeoutMs?: number;
  upstreamTimeoutMs?: number;
  /** Algorithms offered to clients and to targets (benchmarks pin ciphers; defaults are ssh2's). */
  serverAlgorithms?: Algorithms;
  upstreamAlgorithms?: Algorithms;
  recording?: RecorderOptions;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface SshGateway {
  start(): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
  readonly sessions: LiveSessions;
  /** The gateway host key in OpenSSH public form, for users' known_hosts. */
  readonly hostPublicKey: string;
}

/** Loads the gateway host key, generating an Ed25519 key on first start. */
export function loadOrCreateHostKey(directory: string): { privateKey: string; publicKey: string } {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const privatePath = join(directory, 'ssh_host_ed25519_key');
  const publicPath = `${privatePath}.pub`;
  if (!existsSync(privatePath)) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'ward-gateway' });
    writeFileSync(privatePath, pair.private, { mode: 0o600 });
    writeFileSync(publicPath, `${pair.public}\n`, { mode: 0o644 });
  }
  const privateKey = readFileSync(privatePath, 'utf8');
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const publicKey = `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
  return { privateKey, publicKey };
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function keyBlob(openssh: string): Buffer | null {
  const parts = openssh.trim().split(/\s+/);
  const field = parts.length >= 2 ? parts[1]! : parts[0]!;
  try {
    return Buffer.from(field, 'base64');
  } catch {
    return null;
  }
}

type Established = {
  user: GatewayUser;
  context: ConnectContext;
  decision: ConnectDecision;
  target?: ResolvedTarget;
  account?: ResolvedAccount;
};

export function createSshGateway(deps: SshGatewayDeps): SshGateway {
  const hostKey = loadOrCreateHostKey(deps.hostKeyDirectory);
  mkdirSync(deps.recordingDirectory, { recursive: true, mode: 0o700 });
  const registry = createLiveSessionRegistry(deps.clock);
  const log = deps.log ?? (() => {});
  const defaultIdle = deps.idleTimeoutMs ?? 15 * 60_000;
  const connections = new Set<Connection>();
  const unsubscribe: (() => void)[] = [];
  let sweep: NodeJS.Timeout | undefined;

  const audit = (event: AuditEventInput) =>
    deps.audit.append(event).catch((error: unknown) => log('audit append failed', { action: event.action, error: String(error) }));

  const server = new Server(
    { hostKeys: [hostKey.privateKey], ident: 'Ward', ...(deps.serverAlgorithms ? { algorithms: deps.serverAlgorithms } : {}) },
    (client, info) => handleConnection(client, info.ip),
  );

  function handleConnection(client: Connection, clientAddress: string) {
    connections.add(client);
    (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
    const sessionId = newId();
    let established: Established | undefined;
    let failedAttempts = 0;
    /** A key-only login the target wants a second factor for: the keyboard-interactive step must be the same person. */
    let keyUser: GatewayUser | undefined;

    client.on('error', (error) => log('client connection error', { sessionId, error: error.message }));
    client.on('authentication', (ctx) => {
      authenticate(ctx).catch((error: unknown) => {
        log('authentication error', { sessionId, error: String(error) });
        ctx.reject();
      });
    });

    async function authenticate(ctx: AuthContext) {
      const selection = parseSelection(ctx.username);
      const methods: AuthContext['method'][] = ['publickey', 'keyboard-interactive'];
      if (!selection || (ctx.method !== 'publickey' && ctx.method !== 'keyboard-interactive')) return ctx.reject(methods);
      let user: GatewayUser | null = null;
      if (keyUser && ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive'], true);
      if (ctx.method === 'publickey') {
        if (ctx.signature && ctx.blob) {
          const parsed = utils.parseKey(ctx.key.data);
          if (parsed instanceof Error || !parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.reject(methods);
        }
        user = await deps.users.authenticatePublicKey(selection.username, { algorithm: ctx.key.algo, blob: ctx.key.data });
        if (user && !ctx.signature) return ctx.accept(); // the client asked whether this key would do
      } else {
        const answers = await new Promise<string[]>((resolve) =>
          ctx.prompt(
            [
              { prompt: 'Ward password: ', echo: false },
              { prompt: 'One-time code: ', echo: true },
            ],
            'Ward',
            `Sign in as ${selection.username} to reach ${selection.target}`,
            resolve,
          ),
        );
        user = await deps.users.authenticatePassword(selection.username, secret(answers[0] ?? ''), (answers[1] ?? '').trim(), { clientAddress });
        // After a key, the second factor must belong to the key's owner.
        if (user && keyUser && user.id !== keyUser.id) user = null;
      }
      if (!user) {
        failedAttempts += 1;
        void audit({
          action: 'gateway.ssh.login',
          outcome: 'failure',
          actor: { kind: 'anonymous', name: selection.username, address: clientAddress },
          target: { type: 'target', name: selection.target, account: selection.account },
          sessionId,
          details: { method: ctx.method, attempt: failedAttempts },
        });
        return ctx.reject(keyUser ? ['keyboard-interactive'] : methods, Boolean(keyUser));
      }
      const authMethod = keyUser ? 'publickey+keyboard-interactive' : ctx.method;
      const state = await establish(user, selection, authMethod);
      if (state === 'second-factor') {
        // SSH partial success: the key was right, and OpenSSH now prompts for the Ward password and one-time code.
        keyUser = user;
        return ctx.reject(['keyboard-interactive'], true);
      }
      established = state;
      ctx.accept();
    }

    async function establish(
      user: GatewayUser,
      selection: NonNullable<ReturnType<typeof parseSelection>>,
      authMethod: ConnectContext['authMethod'],
    ): Promise<Established | 'second-factor'> {
      const time = deps.clock.now();
      const actor = { id: user.id, kind: user.kind ?? 'user', name: user.username, address: clientAddress } as const;
      const resolved = await deps.targets.resolve(selection);
      const deny = (reason: string, target?: ResolvedTarget, policyIds?: string[]): Established => {
        void audit({
          action: 'gateway.ssh.session.denied',
          outcome: 'denied',
          actor,
          target: { type: 'target', id: target?.id, name: selection.target, account: selection.account },
          sessionId,
          policyIds,
          details: { reason },
        });
        const context = { user, gatewayZones: deps.zones, clientAddress, authMethod, time } as ConnectContext;
        return { user, context, decision: { allowed: false, reason } };
      };
      if (!resolved) return deny(`unknown target or account: ${selection.account ? `${selection.account}@` : ''}${selection.target}`);
      const { target, account } = resolved;
      const context: ConnectContext = { user, target, account, gatewayZones: deps.zones, clientAddress, authMethod, time };
      if (!deps.zones.includes(target.zone)) {
        return deny(`${target.name} is in zone ${target.zone}, which this gateway does not serve`, target);
      }
      const decision = await deps.authorizer.authorizeConnect(context);
      if (!decision.allowed && decision.secondFactor && authMethod === 'publickey') return 'second-factor';
      if (!decision.allowed) return deny(decision.reason, target, decision.policyIds);
      // Fail closed: no session without its start in the audit trail.
      await deps.audit.append({
        action: 'gateway.ssh.session.started',
        outcome: 'success',
        actor,
        target: { type: 'target', id: target.id, name: target.name, system: target.zone, account: account.name },
        sessionId,
        policyIds: decision.policyIds,
        ticket: decision.ticket,
        details: { grantId: decision.grantId ?? null, authMethod, commandControl: decision.commandControl?.mode ?? 'off' },
      });
      return { user, context, decision, target, account };
    }

    client.on('ready', () => {
      const state = established;
      if (!state) return client.end();
      if (!state.decision.allowed || !state.target || !state.account) {
        const reason = state.decision.allowed ? 'denied' : state.decision.reason;
        refuseEverything(client, reason);
        return;
      }
      runSession(client, sessionId, state, state.target, state.account);
    });
    client.on('close', () => connections.delete(client));
  }

  /** A denied connection: every channel gets the one-line reason and exit status 1. */
  function refuseEverything(client: Connection, reason: string) {
    client.on('session', (accept) => {
      const session = accept();
      const refuse = (acceptChannel: () => ServerChannel) => {
        const channel = acceptChannel();
        refuseChannel(channel, reason);
      };
      session.on('pty', (ok) => ok?.());
      session.on('env', (ok) => ok?.());
      session.on('shell', (ok) => refuse(ok));
      session.on('exec', (ok) => refuse(ok));
      session.on('subsystem', (ok) => refuse(ok));
    });
    client.on('tcpip', (_accept, reject) => reject());
    client.on('request', (_accept, reject) => reject?.());
    setTimeout(() => client.end(), 10_000).unref();
  }

  function refuseChannel(channel: ServerChannel, reason: string) {
    channel.stderr.write(`ward: ${reason}\r\n`);
    channel.exit(1);
    channel.end();
  }

  function runSession(client: Connection, sessionId: string, state: Established, target: ResolvedTarget, account: ResolvedAccount) {
    const decision = state.decision as Extract<ConnectDecision, { allowed: true }>;
    const control = decision.commandControl ?? { mode: 'off' };
    const actor = { id: state.user.id, kind: state.user.kind ?? 'user', name: state.user.username, address: state.context.clientAddress } as const;
    const auditTarget = { type: 'target', id: target.id, name: target.name, system: target.zone, account: account.name };
    const startedAt = deps.clock.now();
    const upstream = new Client();
    let upstreamFailure: string | undefined;
    let ended = false;
    let endReason = 'client disconnected';
    let terminating = false;
    let channelCount = 0;
    let bytesIn = 0;
    let bytesOut = 0;
    const openRecordings = new Set<Promise<unknown>>();
    const sealers = new Set<() => void>();
    const upstreamChannels = new Set<ClientChannel>();
    const serverChannels = new Set<ServerChannel>();

    const live: LiveSession = {
      info: {
        id: sessionId,
        userId: state.user.id,
        username: state.user.username,
        target: target.name,
        account: account.name,
        zone: target.zone,
        grantId: decision.grantId ?? null,
        clientAddress: state.context.clientAddress,
        startedAt,
        lastActivityAt: startedAt,
        channels: [],
        recordings: [],
        terminal: null,
      },
      active: false,
      idleTimeoutMs: decision.idleTimeoutMs ?? defaultIdle,
      watchers: new Set(),
      terminate(reason) {
        if (terminating) return;
        terminating = true;
        endReason = reason;
        for (const channel of serverChannels) {
          try {
            channel.stderr.write(`\r\nward: session ended: ${reason}\r\n`);
            channel.exit(255);
            channel.close();
          } catch {
            /* already closing */
          }
        }
        upstream.end();
        // Let the one-line reason and the channel close reach the client before the disconnect (a loaded machine
        // otherwise delivers the disconnect first and the user never learns why); at most a quarter second.
        const open = [...serverChannels];
        let pending = open.length;
        const finish = () => client.end();
        if (pending === 0) setImmediate(finish);
        else {
          const timer = setTimeout(finish, 250);
          for (const channel of open) {
            channel.once('close', () => {
              pending -= 1;
              if (pending === 0) {
                clearTimeout(timer);
                setImmediate(finish);
              }
            });
          }
        }
      },
    };
    registry.add(live);

    const upstreamReady = (async () => {
      const credential = await deps.targets.credential(account, { userId: state.user.id, sessionId });
      const pinned = target.hostKeys.map(keyBlob).filter((blob): blob is Buffer => blob !== null);
      const socket = netConnect({ host: target.host, port: target.port });
      socket.setNoDelay(true);
      const config: ConnectConfig = {
        sock: socket,
        username: account.name,
        readyTimeout: deps.upstreamTimeoutMs ?? 10_000,
        ...(deps.upstreamAlgorithms ? { algorithms: deps.upstreamAlgorithms } : {}),
        hostVerifier: (key: Buffer) => {
          if (pinned.some((blob) => blob.equals(key))) return true;
          upstreamFailure = pinned.length
            ? `the host key of ${target.name} does not match the pinned key; connection refused and security alerted`
            : `the host key of ${target.name} is not pinned yet (seen ${fingerprint(key)}); an administrator must confirm it`;
          void audit({
            action: pinned.length ? 'gateway.ssh.hostkey.mismatch' : 'gateway.ssh.hostkey.unpinned',
            outcome: 'failure',
            actor,
            target: auditTarget,
            sessionId,
            details: { alert: pinned.length > 0, presented: fingerprint(key), pinned: pinned.map(fingerprint) },
          });
          return false;
        },
      };
      if (credential.kind === 'password') config.password = credential.password.reveal();
      else {
        config.privateKey = credential.privateKey.reveal();
        if (credential.passphrase) config.passphrase = credential.passphrase.reveal();
      }
      // A listener for the whole life of the connection, before connecting: after a refused host key the target
      // may also reset the socket, and a second 'error' without a listener would crash the process.
      upstream.on('error', (error) => log('upstream error', { sessionId, error: error.message }));
      await new Promise<void>((resolve, reject) => {
        upstream.once('ready', resolve);
        upstream.once('error', (error) => reject(error));
        upstream.connect(config);
      });
      upstream.on('close', () => {
        if (!ended) live.terminate('the target closed the connection');
      });
    })();
    upstreamReady.catch((error: unknown) => {
      upstreamFailure ??= `cannot reach ${target.name}`;
      log('upstream connect failed', { sessionId, error: String(error) });
    });
    const whenUpstream = () => upstreamReady.then(() => undefined);

    const channelDecision = async (kind: ChannelKind, detail?: string) => {
      const verdict = await deps.authorizer.authorizeChannel(state.context, { kind, detail });
      if (!verdict.allowed) {
        void audit({
          action: 'gateway.ssh.channel.denied',
          outcome: 'denied',
          actor,
          target: auditTarget,
          sessionId,
          details: { channel: kind, detail: detail ?? null, reason: verdict.reason },
        });
      }
      return verdict;
    };

    client.on('session', (acceptSession) => {
      const session: Session = acceptSession();
      let pty: PseudoTtyInfo | undefined;
      const env: Record<string, string> = {};
      let upstreamChannel: ClientChannel | undefined;
      let recorder: Recorder | undefined;
      session.on('pty', (ok, _no, info) => {
        pty = info;
        if (info.cols > 0 && info.rows > 0) live.info.terminal = { cols: info.cols, rows: info.rows };
        ok?.();
      });
      session.on('env', (ok, _no, info) => {
        env[info.key] = info.val;
        ok?.();
      });
      session.on('window-change', (ok, _no, info) => {
        if (pty) Object.assign(pty, { cols: info.cols, rows: info.rows, width: info.width, height: info.height });
        if (info.cols > 0 && info.rows > 0) live.info.terminal = { cols: info.cols, rows: info.rows };
        upstreamChannel?.setWindow(info.rows, info.cols, info.height, info.width);
        recorder?.resize(info.cols, info.rows);
        ok?.();
      });
      session.on('signal', (ok, _no, info) => {
        upstreamChannel?.signal(info.name);
        ok?.();
      });
      session.on('auth-agent', (ok, no) => {
        void channelDecision('agent').then((verdict) => (verdict.allowed ? ok?.() : no?.()));
      });
      session.on('x11', (ok, no) => {
        // Relaying X11 back to the client is not implemented; refuse whatever policy says, and audit it.
        void channelDecision('x11').then(() => no?.());
        void ok;
      });
      session.on('shell', (ok) => start('shell', ok()));
      session.on('exec', (ok, _no, info) => start('exec', ok(), info.command));
      session.on('subsystem', (ok, no, info) => {
        if (info.name !== 'sftp') return no?.();
        start('sftp', ok());
      });

      // Accepted synchronously (the client may send EOF straight after exec); the stream buffers until upstream opens.
      function start(kind: 'shell' | 'exec' | 'sftp', channel: ServerChannel, command?: string) {
        serverChannels.add(channel);
        channel.on('close', () => serverChannels.delete(channel));
        const index = ++channelCount;
        live.info.channels.push(command ? `${kind}: ${command}` : kind);
        void (async () => {
          const verdict = await channelDecision(kind, command);
          if (!verdict.allowed) return refuseChannel(channel, verdict.reason);
          if (control.mode === 'allow' && kind === 'shell') {
            return refuseCommand(channel, '', `interactive shells are not allowed on ${target.name}; run an allowed command`);
          }
          if (control.mode === 'allow' && kind === 'exec') {
            const check = checkAllowList(command ?? '', control.commands);
            if (!check.allowed) return refuseCommand(channel, command ?? '', check.reason);
          }
          try {
            await whenUpstream();
          } catch {
            return refuseChannel(channel, upstreamFailure ?? `cannot reach ${target.name}`);
          }
          const up = await openUpstream(kind, command);
          upstreamChannel = up;
          upstreamChannels.add(up);
          if (kind !== 'sftp' && !isLegacyScp(command)) {
            const recordingId = `${sessionId}-${index}`;
            live.info.recordings.push(recordingId);
            recorder = await createRecorder(join(deps.recordingDirectory, `${recordingId}.cast.enc`), deps.recordingKeys, {
              width: pty?.cols || 80,
              height: pty?.rows || 24,
              timestamp: Math.floor(deps.clock.now() / 1000),
              command,
              title: `${state.user.username} on ${account.name}@${target.name}`,
              env: { TERM: pty?.term ?? 'xterm' },
            }, deps.recording);
            const rec = recorder;
            // Sealed when the target's channel closes, or when the session ends first (terminate, lock, grant end,
            // client gone): a recording of a session Ward ended must play back like any other.
            let sealed = false;
            const seal = () => {
              if (sealed) return;
              sealed = true;
              sealers.delete(seal);
              const closing = rec.close().then((summary) =>
                audit({
                  action: 'gateway.ssh.recording.sealed',
                  outcome: 'success',
                  actor,
                  target: auditTarget,
                  sessionId,
                  details: { recordingId, sha256: summary.sha256, bytes: summary.plaintextBytes, events: summary.events, channel: kind },
                }),
              );
              openRecordings.add(closing);
              void closing.finally(() => openRecordings.delete(closing));
            };
            sealers.add(seal);
            up.once('close', seal);
          }
          relay(channel, up, kind, recorder);
        })().catch((error: unknown) => {
          log('channel failed', { sessionId, error: String(error) });
          try {
            refuseChannel(channel, `could not open the channel on ${target.name}`);
          } catch {
            /* closed */
          }
        });
      }

      function openUpstream(kind: 'shell' | 'exec' | 'sftp', command?: string): Promise<ClientChannel> {
        return new Promise((resolve, reject) => {
          const done = (error: Error | undefined, channel: ClientChannel) => (error ? reject(error) : resolve(channel));
          const window = pty
            ? { rows: pty.rows, cols: pty.cols, height: pty.height, width: pty.width, term: pty.term, modes: (pty as { modes?: object }).modes ?? {} }
            : false;
          if (kind === 'sftp') upstream.subsys('sftp', done);
          else if (kind === 'shell') upstream.shell(window as false, { env }, done);
          else upstream.exec(command ?? '', { env, ...(window ? { pty: window } : {}) }, done);
        });
      }
    });

    function refuseCommand(channel: ServerChannel, command: string, reason: string) {
      void audit({
        action: 'gateway.ssh.command.blocked',
        outcome: 'denied',
        actor,
        target: auditTarget,
        sessionId,
        details: { alert: true, mode: control.mode, command: command.slice(0, 500), reason },
      });
      refuseChannel(channel, reason);
    }

    function relay(channel: ServerChannel, up: ClientChannel, kind: 'shell' | 'exec' | 'sftp', recorder: Recorder | undefined) {
      let exit: [number] | [string, boolean, string] | undefined;
      up.on('exit', (...args: unknown[]) => {
        exit = typeof args[0] === 'number' ? [args[0]] : [String(args[0]), Boolean(args[1]), String(args[2] ?? '')];
      });
      const watchers = live.watchers;
      // Target → user.
      up.on('data', (data: Buffer) => {
        live.active = true;
        bytesOut += data.length;
        recorder?.output(data);
        if (watchers.size) for (const watcher of watchers) watcher({ code: 'o', data });
      });
      up.stderr.on('data', (data: Buffer) => {
        recorder?.output(data);
        if (watchers.size) for (const watcher of watchers) watcher({ code: 'o', data });
      });
      up.pipe(channel, { end: false });
      up.stderr.pipe(channel.stderr, { end: false });
      const transfers = kind === 'sftp' ? createSftpTransferLog((transfer) => logTransfer(transfer)) : undefined;
      if (transfers) up.on('data', (data: Buffer) => transfers.fromServer(data));
      // User → target.
      if (control.mode === 'deny' && kind === 'shell') {
        const guard = createLineGuard({ pasteBurstChars: control.pasteBurstChars });
        channel.on('data', (data: Buffer) => {
          live.active = true;
          bytesIn += data.length;
          recorder?.input(data);
          const result = guard.feed(data);
          if (result.forward.length && !up.write(result.forward)) {
            channel.pause();
            up.once('drain', () => channel.resume());
          }
          if (result.blocked) {
            channel.write(`\r\nward: blocked: ${result.blocked.reason}\r\n`);
            void audit({
              action: 'gateway.ssh.command.blocked',
              outcome: 'denied',
              actor,
              target: auditTarget,
              sessionId,
              details: { alert: true, mode: 'deny', command: result.blocked.line, reason: result.blocked.reason },
            });
          }
        });
        channel.on('end', () => up.end());
      } else {
        channel.on('data', (data: Buffer) => {
          live.active = true;
          bytesIn += data.length;
          recorder?.input(data);
          transfers?.fromClient(data);
        });
        channel.pipe(up);
      }
      channel.on('close', () => up.close());
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        try {
          if (exit) {
            if (exit.length === 1) channel.exit(exit[0]);
            else channel.exit(exit[0], exit[1], exit[2]);
          }
          channel.end();
        } catch {
          /* the client went away */
        }
      };
      up.on('close', () => {
        if (up.readableEnded) return finish();
        up.once('end', finish);
        setTimeout(finish, 500).unref();
      });
    }

    function logTransfer(transfer: FileTransfer) {
      void audit({
        action: 'gateway.ssh.file.transferred',
        outcome: 'success',
        actor,
        target: auditTarget,
        sessionId,
        details: {
          direction: transfer.direction,
          path: transfer.path,
          bytes: transfer.bytes,
          sha256: transfer.sha256,
          protocol: 'sftp',
        },
      });
    }

    client.on('tcpip', (accept, reject, info) => {
      const detail = `${info.destIP}:${info.destPort}`;
      void channelDecision('port-forward', detail).then(async (verdict) => {
        if (!verdict.allowed) return reject();
        try {
          await whenUpstream();
        } catch {
          return reject();
        }
        upstream.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (error, up) => {
          if (error) return reject();
          const channel = accept();
          channel.pipe(up).pipe(channel);
        });
      });
    });
    client.on('request', (accept, reject, name, info) => {
      // Remote forwarding (-R) would open a listener on the target; refused unless policy allows, and not relayed yet.
      void accept;
      if (name.startsWith('cancel-')) return reject?.();
      void channelDecision('port-forward', `${name} ${JSON.stringify(info)}`).then(() => reject?.());
    });

    client.on('close', () => {
      if (ended) return;
      ended = true;
      registry.remove(sessionId);
      upstream.end();
      void upstreamReady.catch(() => undefined);
      const durationMs = deps.clock.now() - startedAt;
      for (const seal of [...sealers]) seal();
      void Promise.allSettled([...openRecordings]).then(() =>
        audit({
          action: 'gateway.ssh.session.ended',
          outcome: 'success',
          actor,
          target: auditTarget,
          sessionId,
          details: { reason: endReason, durationMs, bytesIn, bytesOut, recordings: live.info.recordings },
        }),
      );
      deps.targets.sessionEnded?.(account, { userId: state.user.id, sessionId });
    });
  }

  return {
    sessions: registry,
    hostPublicKey: hostKey.publicKey,
    start() {
      unsubscribe.push(
        deps.events.subscribe('access.grant.ended', (event) => {
          registry.terminateGrant(event.grantId, `grant ${event.reason}`);
        }),
        deps.events.subscribe('identity.user.locked', (event) => {
          registry.terminateUser(event.userId, 'account locked');
        }),
        deps.events.subscribe('identity.user.disabled', (event) => {
          registry.terminateUser(event.userId, 'account disabled');
        }),
        deps.events.subscribe('identity.sessions.revoked', (event) => {
          registry.terminateUser(event.userId, 'sessions revoked');
        }),
      );
      sweep = setInterval(() => registry.sweepIdle(), 1000);
      sweep.unref();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.listen.port, deps.listen.host, () => {
          server.off('error', reject);
          const address = server.address() as { address: string; port: number };
          resolve({ host: address.address, port: address.port });
        });
      });
    },
    async stop() {
      for (const stop of unsubscribe.splice(0)) stop();
      if (sweep) clearInterval(sweep);
      for (const session of registry.list()) registry.terminate(session.id, 'gateway shutting down');
      for (const connection of connections) connection.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isLegacyScp(command: string | undefined): boolean {
  return command !== undefined && /^scp\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*[tf]/.test(command);
}

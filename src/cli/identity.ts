// `ward login|logout|whoami`, `ward mfa`, `ward users`, `ward ssh-keys` and `ward tokens`: identity commands over the running server's API.
// Passwords come from WARD_PASSWORD, --password-stdin, --password-file or a hidden prompt; never from an argument.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import type { CliContext, CommandGroup } from './context.js';
import { clearSession, saveSession } from './client.js';
import { WardError } from '../platform/errors.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function prompt(question: string, hidden: boolean, context: CliContext): Promise<string> {
  if (!process.stdin.isTTY) throw new WardError('VALIDATION_FAILED', `${question.trim()} is needed; run interactively or set it by option or environment.`);
  const rl = createInterface({ input: process.stdin, output: context.err as NodeJS.WritableStream, terminal: true });
  if (hidden) {
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) context.err.write(question);
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    if (hidden) context.err.write('\n');
  }
}

async function userIdOf(context: CliContext, who: string): Promise<string> {
  const found = await context.api().request<{ items: { id: string }[] }>('GET', `/api/v1/users?username=${encodeURIComponent(who)}`);
  if (found.items[0]) return found.items[0].id;
  if (/^[0-9a-f-]{36}$/i.test(who)) return who;
  throw new WardError('NOT_FOUND', `No user "${who}".`);
}

export const identityCommands: CommandGroup = (program: Command, context: CliContext) => {
  program
    .command('login')
    .description('Sign in to a Ward server and remember the session (~/.config/ward/session.json, mode 0600)')
    .requiredOption('-u, --username <username>', 'your username')
    .option('--url <url>', 'server URL (default: WARD_URL or the configured public URL)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--password-file <file>', 'read the password from the first line of a file')
    .option('--code <code>', 'TOTP code, when your account has one (prompted otherwise)')
    .option('--recovery-code <code>', 'a one-time recovery code instead of TOTP')
    .action(async (options: { username: string; url?: string; passwordStdin?: boolean; passwordFile?: string; code?: string; recoveryCode?: string }) => {
      const env = process.env;
      const password = options.passwordFile
        ? (readFileSync(options.passwordFile, 'utf8').split(/\r?\n/)[0] ?? '')
        : options.passwordStdin
          ? (await readStdin()).replace(/\r?\n$/, '')
          : (env.WARD_PASSWORD ?? (await prompt('Password: ', true, context)));
      const api = context.api();
      const url = (options.url ?? api.baseUrl).replace(/\/$/, '');
      const call = <T>(path: string, body: unknown) =>
        options.url ? fetchJson<T>(`${url}${path}`, body) : api.request<T>('POST', path, body, { token: null });
      const first = await call<{ token?: string; mfaRequired?: boolean; challenge?: string; methods?: string[] }>('/api/v1/auth/login', { username: options.username, password });
      let token = first.token;
      if (!token && first.mfaRequired) {
        if (options.recoveryCode) {
          token = (await call<{ token: string }>('/api/v1/auth/mfa/recovery', { challenge: first.challenge, code: options.recoveryCode })).token;
        } else if (first.methods?.includes('totp')) {
          const code = options.code ?? (await prompt('Authenticator code: ', false, context));
          token = (await call<{ token: string }>('/api/v1/auth/mfa/totp', { challenge: first.challenge, code })).token;
        } else {
          throw new WardError('AUTH_MFA_INVALID', 'This account signs in with a passkey: use the console, or pass --recovery-code.');
        }
      }
      saveSession({ url, token: token! });
      context.print(`Signed in to ${url} as ${options.username}.`);
    });

  program
    .command('logout')
    .description('End the remembered session on the server and forget it')
    .action(async () => {
      await context.api().request('POST', '/api/v1/auth/logout').catch(() => undefined);
      clearSession();
      context.print('Signed out.');
    });

  program
    .command('whoami')
    .description('Show the signed-in identity, roles, permissions and MFA state')
    .action(async () => context.print(await context.api().request('GET', '/api/v1/me')));

  const mfa = program.command('mfa').description('Your second factors');
  mfa
    .command('enrol-totp')
    .description('Start enrolling an authenticator app: prints the secret and otpauth URI once; then run `ward mfa confirm-totp <code>`')
    .action(async () => context.print(await context.api().request('POST', '/api/v1/me/mfa/totp')));
  mfa
    .command('confirm-totp <code>')
    .description('Finish TOTP enrolment with a current code; the first enrolment prints recovery codes once')
    .action(async (code: string) => {
      const confirmed = await context.api().request<{ recoveryCodes: string[] | null }>('POST', '/api/v1/me/mfa/totp/confirm', { code });
      context.print(confirmed.recoveryCodes ? { recoveryCodes: confirmed.recoveryCodes, note: 'Store these offline; each works once.' } : 'TOTP enrolled.');
    });
  mfa
    .command('step-up')
    .description('Refresh your MFA proof for high-risk actions with a TOTP code')
    .option('--code <code>', 'a current code (prompted otherwise)')
    .action(async (options: { code?: string }) => {
      const code = options.code ?? (await prompt('Authenticator code: ', false, context));
      context.print(await context.api().request('POST', '/api/v1/auth/step-up/totp', { code }));
    });

  const users = program.command('users').description('Manage users (identity.users.* permissions)');
  users
    .command('list')
    .option('--limit <n>', 'page size', '50')
    .action(async (options: { limit: string }) => context.print(await context.api().request('GET', `/api/v1/users?limit=${Number(options.limit)}`)));
  users
    .command('show <user>')
    .description('One user (by username or id) with groups, roles and lock state')
    .action(async (who: string) => context.print(await context.api().request('GET', `/api/v1/users/${await userIdOf(context, who)}`)));
  users
    .command('create <username>')
    .requiredOption('--display-name <name>')
    .option('--email <email>')
    .option('--kind <kind>', 'human, service or vendor', 'human')
    .option('--department <department>')
    .option('--expires-at <iso>', 'account end (residents, contractors), ISO 8601')
    .action(async (username: string, options: { displayName: string; email?: string; kind: string; department?: string; expiresAt?: string }) => {
      const expiresAt = options.expiresAt ? Date.parse(options.expiresAt) : undefined;
      if (expiresAt !== undefined && Number.isNaN(expiresAt)) throw new WardError('VALIDATION_FAILED', '--expires-at must be an ISO 8601 time.');
      const password = process.env.WARD_NEW_USER_PASSWORD;
      context.print(
        await context.api().request('POST', '/api/v1/users', {
          username,
          displayName: options.displayName,
          kind: options.kind,
          ...(options.email ? { email: options.email } : {}),
          ...(options.department ? { department: options.department } : {}),
          ...(expiresAt !== undefined ? { expiresAt } : {}),
          ...(password ? { password } : {}),
        }),
      );
    });
  users
    .command('disable <user>')
    .description('Disable a user: their sessions and API tokens end at once')
    .option('--reason <reason>')
    .action(async (who: string, options: { reason?: string }) =>
      context.print(await context.api().request('POST', `/api/v1/users/${await userIdOf(context, who)}/disable`, options.reason ? { reason: options.reason } : {})),
    );
  users
    .command('enable <user>')
    .action(async (who: string) => context.print(await context.api().request('POST', `/api/v1/users/${await userIdOf(context, who)}/enable`)));
  users
    .command('unlock <user>')
    .description('Clear a lockout after failed sign-ins')
    .action(async (who: string) => context.print(await context.api().request('POST', `/api/v1/users/${await userIdOf(context, who)}/unlock`)));

  const sshKeys = program.command('ssh-keys').description('Your SSH public keys for the SSH gateway');
  sshKeys.command('list').action(async () => context.print(await context.api().request('GET', '/api/v1/me/ssh-keys')));
  sshKeys
    .command('add <file>')
    .description('Register a public key file (e.g. ~/.ssh/id_ed25519.pub); needs a fresh MFA proof (`ward mfa step-up`)')
    .action(async (file: string) => context.print(await context.api().request('POST', '/api/v1/me/ssh-keys', { publicKey: readFileSync(file, 'utf8').trim() })));
  sshKeys
    .command('remove <id>')
    .action(async (id: string) => context.print(await context.api().request('DELETE', `/api/v1/me/ssh-keys/${encodeURIComponent(id)}`)));
  const tokens = program.command('tokens').description('Your API tokens for automation');
  tokens.command('list').action(async () => context.print(await context.api().request('GET', '/api/v1/me/tokens')));
  tokens
    .command('create <name>')
    .description('Create a scoped, expiring token; its value is printed once')
    .requiredOption('--scope <permission...>', 'permissions the token may use (a subset of yours)')
    .option('--expires-in <seconds>', 'lifetime in seconds', String(30 * 24 * 3600))
    .action(async (name: string, options: { scope: string[]; expiresIn: string }) =>
      context.print(await context.api().request('POST', '/api/v1/me/tokens', { name, scopes: options.scope, expiresInSeconds: Number(options.expiresIn) })),
    );
  tokens
    .command('revoke <id>')
    .action(async (id: string) => context.print(await context.api().request('DELETE', `/api/v1/me/tokens/${encodeURIComponent(id)}`)));
};

async function fetchJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const parsed = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok) throw new WardError((parsed.error?.code ?? 'INTERNAL') as never, parsed.error?.message ?? `${response.status}`);
  return parsed;
}

// `ward secrets …`: store, generate, list, reveal (needs a fresh MFA proof and a reason code), check out and in.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext, CommandGroup } from './context.js';

export const secretsCommands: CommandGroup = (program: Command, context: CliContext) => {
  const secrets = program.command('secrets').description('Credentials in the vault');
  secrets.command('list <accountId>').description('Secret metadata for an account (never values)').action(async (accountId: string) => {
    context.print(await context.api().request('GET', `/api/v1/accounts/${encodeURIComponent(accountId)}/secrets`));
  });
  secrets
    .command('set <accountId>')
    .description('Store a new version: --generate, or the value from --from-file (never from the command line)')
    .option('--kind <kind>', 'password|ssh-key|certificate|api-token', 'password')
    .option('--generate', 'generate per the target policy (ed25519 for ssh-key)')
    .option('--from-file <file>', 'read the value from a file ("-" for stdin)')
    .action(async (accountId: string, o: { kind: string; generate?: boolean; fromFile?: string }) => {
      const value = o.fromFile ? readFileSync(o.fromFile === '-' ? 0 : o.fromFile, 'utf8').replace(/\n$/, '') : undefined;
      context.print(await context.api().request('POST', `/api/v1/accounts/${encodeURIComponent(accountId)}/secrets`, { kind: o.kind, ...(value === undefined ? { generate: o.generate === true } : { value }) }));
    });
  secrets
    .command('reveal <secretId>')
    .description('Show a value (audited; needs vault.secrets.reveal and a recent MFA proof)')
    .requiredOption('--reason-code <code>', 'HL7 PurposeOfUse, e.g. HSYSADMIN')
    .requiredOption('--justification <text>', 'why you need to see it')
    .option('--ticket <id>', 'change or incident ticket')
    .option('--version <n>', 'an older version', (v) => Number(v))
    .action(async (secretId: string, o: { reasonCode: string; justification: string; ticket?: string; version?: number }) => {
      const shown = await context
        .api()
        .request<{ value: string }>('POST', `/api/v1/secrets/${encodeURIComponent(secretId)}/reveal`, { reasonCode: o.reasonCode, justification: o.justification, ...(o.ticket ? { ticket: o.ticket } : {}), ...(o.version ? { version: o.version } : {}) });
      context.out.write(`${shown.value}\n`);
    });
  secrets
    .command('checkout <accountId>')
    .description('Exclusive check-out for a bounded time; checked in automatically at expiry')
    .requiredOption('--reason <text>', 'what you will do')
    .option('--reason-code <code>', 'HL7 PurposeOfUse', 'HSYSADMIN')
    .option('--minutes <n>', 'how long', (v) => Number(v), 60)
    .option('--ticket <id>', 'change or incident ticket')
    .action(async (accountId: string, o: { reason: string; reasonCode: string; minutes: number; ticket?: string }) => {
      context.print(
        await context.api().request('POST', `/api/v1/accounts/${encodeURIComponent(accountId)}/checkout`, {
          durationSeconds: Math.round(o.minutes * 60),
          reason: o.reason,
          reasonCode: o.reasonCode,
          ...(o.ticket ? { ticket: o.ticket } : {}),
        }),
      );
    });
  secrets.command('checkin <accountId>').description('End your check-out; the credential is marked for rotation').action(async (accountId: string) => {
    context.print(await context.api().request('POST', `/api/v1/accounts/${encodeURIComponent(accountId)}/checkin`));
  });
};

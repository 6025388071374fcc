// `ward request|requests|approve|deny|grants|release|breakglass|reviews`: just-in-time access from a terminal,
// through the running server's /api/v1/access API.
import type { Command } from 'commander';
import type { CliContext, CommandGroup } from './context.js';
import { WardError } from '../platform/errors.js';

interface RequestView {
  id: string;
  requesterName: string;
  targetName: string;
  accountName: string | null;
  riskTier: string;
  reasonCode: string;
  justification: string;
  ticket: string | null;
  startsAt: number;
  durationSeconds: number;
  status: string;
  requiredApprovals: number;
  approvals: { approverName: string; decision: string; valid: boolean }[];
  autoApproved: boolean;
  grantId: string | null;
}

interface GrantView {
  id: string;
  username: string;
  targetName: string;
  accountName: string | null;
  startsAt: number;
  endsAt: number;
  state: string;
  breakglass: boolean;
  endReason: string | null;
}

interface ReviewView {
  id: string;
  username: string;
  targetName: string;
  status: string;
  dueAt: number;
  flagged: boolean;
  outcome: string | null;
}

/** "90s", "30m", "2h", "1h30m", "1d" or plain seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed);
  if (!match || trimmed === '') throw new WardError('VALIDATION_FAILED', `"${text}" is not a duration; write e.g. 30m, 2h or 1h30m.`);
  const [, d, h, m, s] = match.map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  return d * 86400 + h * 3600 + m * 60 + s;
}

/** An ISO 8601 time, or "+30m" meaning that long from now. */
export function parseStart(text: string, now = Date.now()): number | string {
  if (text.startsWith('+')) return now + parseDuration(text.slice(1)) * 1000;
  return text;
}

const time = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const minutes = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600}h` : `${Math.round(seconds / 60)}m`);

function requestLine(r: RequestView): string {
  const approvals = r.approvals.filter((a) => a.decision === 'approve' && a.valid).length;
  const progress = r.status === 'pending' ? ` ${approvals}/${r.requiredApprovals} approvals` : '';
  const account = r.accountName ? `${r.accountName}@` : '';
  return `${r.id}  ${r.status.padEnd(9)} ${r.requesterName} → ${account}${r.targetName} (${r.riskTier}) ${minutes(r.durationSeconds)} from ${time(r.startsAt)} ${r.reasonCode}${r.ticket ? ` ${r.ticket}` : ''}${progress}`;
}

function grantLine(g: GrantView): string {
  const account = g.accountName ? `${g.accountName}@` : '';
  const end = g.state === 'ended' ? `ended (${g.endReason})` : `until ${time(g.endsAt)}`;
  return `${g.id}  ${g.state.padEnd(9)} ${g.username} → ${account}${g.targetName} ${end}${g.breakglass ? '  BREAK-GLASS' : ''}`;
}

function output(context: CliContext, json: boolean | undefined, value: unknown, human: () => string) {
  context.print(json ? value : human());
}

export const accessCommands: CommandGroup = (program: Command, context: CliContext) => {
  program
    .command('request')
    .description('Ask for time-bound access to a target')
    .argument('<target>', 'target name or id')
    .option('-a, --account <account>', 'account on the target')
    .requiredOption('-d, --duration <duration>', 'how long, e.g. 30m, 2h')
    .option('-s, --start <time>', 'ISO 8601 start or +30m (default now)')
    .requiredOption('-r, --reason <code>', 'HL7 PurposeOfUse reason code, e.g. HSYSADMIN, TREAT')
    .requiredOption('-j, --justification <text>', 'why you need it')
    .option('-t, --ticket <id>', 'change or incident ticket')
    .option('--json', 'print JSON')
    .action(async (target: string, options: { account?: string; duration: string; start?: string; reason: string; justification: string; ticket?: string; json?: boolean }) => {
      const view = await context.api().request<RequestView>('POST', '/api/v1/access/requests', {
        target,
        ...(options.account ? { account: options.account } : {}),
        durationSeconds: parseDuration(options.duration),
        ...(options.start ? { startsAt: parseStart(options.start) } : {}),
        reasonCode: options.reason.toUpperCase(),
        justification: options.justification,
        ...(options.ticket ? { ticket: options.ticket } : {}),
      });
      output(context, options.json, view, () =>
        view.status === 'approved'
          ? `${requestLine(view)}\ngranted: ${view.grantId}`
          : `${requestLine(view)}\nwaiting for ${view.requiredApprovals} approval(s); approvers were notified`,
      );
    });

  program
    .command('requests')
    .description('List my requests, or with --approvals the ones waiting for my decision')
    .option('--approvals', 'requests I may approve or deny')
    .option('--status <status>', 'pending, approved, denied, cancelled or expired')
    .option('--json', 'print JSON')
    .action(async (options: { approvals?: boolean; status?: string; json?: boolean }) => {
      const path = options.approvals ? '/api/v1/access/approvals' : `/api/v1/access/requests${options.status ? `?status=${encodeURIComponent(options.status)}` : ''}`;
      const { items } = await context.api().request<{ items: RequestView[] }>('GET', path);
      output(context, options.json, items, () => (items.length ? items.map(requestLine).join('\n') : 'no requests'));
    });

  for (const [name, verb] of [
    ['approve', 'Approve'],
    ['deny', 'Deny'],
  ] as const) {
    program
      .command(name)
      .description(`${verb} an access request`)
      .argument('<id>', 'request id')
      .option('-n, --note <text>', 'note for the requester and the audit trail')
      .option('--json', 'print JSON')
      .action(async (id: string, options: { note?: string; json?: boolean }) => {
        const view = await context.api().request<RequestView>('POST', `/api/v1/access/approvals/${encodeURIComponent(id)}/${name}`, options.note ? { note: options.note } : {});
        output(context, options.json, view, () => requestLine(view));
      });
  }

  program
    .command('grants')
    .description('List my open grants (--all: everyone’s, needs access.revoke; --history: ended too)')
    .option('--all', 'every user')
    .option('--history', 'include ended grants')
    .option('--json', 'print JSON')
    .action(async (options: { all?: boolean; history?: boolean; json?: boolean }) => {
      const { items } = await context.api().request<{ items: GrantView[] }>('GET', `/api/v1/access/grants?scope=${options.all ? 'all' : 'mine'}&state=${options.history ? 'all' : 'open'}`);
      output(context, options.json, items, () => (items.length ? items.map(grantLine).join('\n') : 'no grants'));
    });

  program
    .command('release')
    .description('End my grant (or break-glass) now')
    .argument('<grant>', 'grant id')
    .option('--json', 'print JSON')
    .action(async (grant: string, options: { json?: boolean }) => {
      const view = await context.api().request<GrantView>('POST', `/api/v1/access/grants/${encodeURIComponent(grant)}/release`, {});
      output(context, options.json, view, () => grantLine(view));
    });

  program
    .command('revoke')
    .description("Revoke someone's grant (security)")
    .argument('<grant>', 'grant id')
    .option('-n, --note <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (grant: string, options: { note?: string; json?: boolean }) => {
      const view = await context.api().request<GrantView>('POST', `/api/v1/access/grants/${encodeURIComponent(grant)}/revoke`, options.note ? { note: options.note } : {});
      output(context, options.json, view, () => grantLine(view));
    });

  program
    .command('breakglass')
    .description('Emergency access without approval: alerted, capped, recorded and reviewed afterwards')
    .argument('<target>', 'target name or id')
    .option('-a, --account <account>', 'account on the target')
    .requiredOption('-r, --reason <code>', 'BTG (break the glass) or ETREAT (emergency treatment)')
    .requiredOption('-j, --justification <text>', 'what the emergency is')
    .option('-d, --duration <duration>', 'how long (capped, default the cap)')
    .option('--json', 'print JSON')
    .action(async (target: string, options: { account?: string; reason: string; justification: string; duration?: string; json?: boolean }) => {
      const result = await context.api().request<{ grant: GrantView; review: ReviewView; flagged: boolean }>('POST', '/api/v1/access/breakglass', {
        target,
        ...(options.account ? { account: options.account } : {}),
        reasonCode: options.reason.toUpperCase(),
        justification: options.justification,
        ...(options.duration ? { durationSeconds: parseDuration(options.duration) } : {}),
      });
      output(context, options.json, result, () =>
        [
          `BREAK-GLASS active: ${grantLine(result.grant)}`,
          'Security has been alerted; the session is recorded.',
          `Your manager must review this by ${time(result.review.dueAt)} (review ${result.review.id}).`,
          ...(result.flagged ? ['Note: repeated break-glass use has been flagged to security.'] : []),
        ].join('\n'),
      );
    });

  program
    .command('reviews')
    .description('Post-break-glass reviews waiting for me; --attest <id> to complete one')
    .option('--status <status>', 'pending (default), open, escalated or completed')
    .option('--attest <id>', 'complete this review')
    .option('--outcome <outcome>', 'appropriate or inappropriate (with --attest)')
    .option('-n, --note <text>', 'note (required when inappropriate)')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; attest?: string; outcome?: string; note?: string; json?: boolean }) => {
      if (options.attest) {
        if (options.outcome !== 'appropriate' && options.outcome !== 'inappropriate') {
          throw new WardError('VALIDATION_FAILED', '--outcome must be appropriate or inappropriate.');
        }
        const review = await context.api().request<ReviewView>('POST', `/api/v1/access/reviews/${encodeURIComponent(options.attest)}`, {
          outcome: options.outcome,
          ...(options.note ? { note: options.note } : {}),
        });
        output(context, options.json, review, () => `${review.id}  ${review.status} (${review.outcome})`);
        return;
      }
      const { items } = await context.api().request<{ items: ReviewView[] }>('GET', `/api/v1/access/reviews${options.status ? `?status=${encodeURIComponent(options.status)}` : ''}`);
      output(context, options.json, items, () =>
        items.length
          ? items.map((r) => `${r.id}  ${r.status.padEnd(9)} ${r.username} on ${r.targetName} due ${time(r.dueAt)}${r.flagged ? '  FLAGGED' : ''}`).join('\n')
          : 'no reviews',
      );
    });
};

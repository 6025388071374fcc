// `ward audit`: verify the trail offline (store + public key, no server), search, tail and export through the API,
// sink health, and sealing expired events into signed archives.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext, CommandGroup } from './context.js';
import { auditKeyPaths, loadAuditVerifier, loadOrCreateAuditSigner } from '../audit/keys.js';
import { createAuditStore } from '../audit/store.js';
import { parseExternalCheckpoints, verifyStore } from '../audit/verify.js';
import { createAuditArchiver, verifyArchive, DEFAULT_RETENTION_DAYS } from '../audit/archive.js';
import { createAuditTrail } from '../audit/service.js';
import { systemClock } from '../platform/clock.js';
import type { AuditRecord, CheckpointVerifier, VerificationResult } from '../audit/types.js';
import { AUDIT_MLDSA_PUBLIC_KEY_FILE, mlDsaVerifier } from '../vault/pq-signer.js';

interface FilterOptions {
  actor?: string;
  actorName?: string;
  target?: string;
  targetName?: string;
  action?: string;
  actionPrefix?: string;
  outcome?: string;
  reason?: string;
  session?: string;
  from?: string;
  to?: string;
}

function withFilters(command: Command): Command {
  return command
    .option('--actor <id>', 'actor id')
    .option('--actor-name <name>', 'actor name (username)')
    .option('--target <id>', 'target id')
    .option('--target-name <name>', 'target name, e.g. ehr-db-01')
    .option('--action <code>', 'exact action code, e.g. auth.login')
    .option('--action-prefix <prefix>', 'action family, e.g. access.breakglass.')
    .option('--outcome <outcome>', 'success | failure | denied')
    .option('--reason <code>', 'purpose of use, e.g. ETREAT')
    .option('--session <id>', 'session id')
    .option('--from <time>', 'from (ISO 8601 or epoch ms, inclusive)')
    .option('--to <time>', 'to (ISO 8601 or epoch ms, exclusive)');
}

function filterQuery(o: FilterOptions): URLSearchParams {
  const q = new URLSearchParams();
  const map: Record<string, string | undefined> = {
    actor: o.actor, actorName: o.actorName, target: o.target, targetName: o.targetName, action: o.action,
    actionPrefix: o.actionPrefix, outcome: o.outcome, reasonCode: o.reason, session: o.session, from: o.from, to: o.to,
  };
  for (const [k, v] of Object.entries(map)) if (v !== undefined) q.set(k, v);
  return q;
}

export function formatLine(r: AuditRecord): string {
  const who = r.actor.name ?? r.actor.id ?? r.actor.kind;
  const what = r.target ? ` ${r.target.name ?? r.target.id ?? r.target.type}` : '';
  const why = [r.reasonCode, r.ticket].filter(Boolean).join(' ');
  return `${String(r.sequence).padStart(8)} ${new Date(r.time).toISOString()} ${r.outcome.padEnd(7)} ${r.action} by ${who}${r.actor.address ? `@${r.actor.address}` : ''}${what}${why ? ` [${why}]` : ''}`;
}

function report(context: CliContext, result: VerificationResult, what: string): void {
  if (result.intact) {
    context.out.write(`${what} intact: ${result.events} events verified up to sequence ${result.lastSequence}, ${result.checkpoints} signed checkpoints\n`);
    return;
  }
  const d = result.damage!;
  context.out.write(`${what} DAMAGED: first bad sequence ${d.sequence}: ${d.kind} (${d.message})\n`);
  process.exitCode = 1;
}

export const auditCommands: CommandGroup = (program, context) => {
  const audit = program.command('audit').description('Verify, search, tail and export the tamper-evident audit trail');

  audit
    .command('verify')
    .description('Verify the hash chain and signed checkpoints offline (exit 0 intact, 1 damaged)')
    .option('--archive <file>', 'verify a sealed archive file instead of the store')
    .option('--public-key <file>', 'Ed25519 public key (default <dataDir>/keys/audit-ed25519.pub)')
    .option('--pq-public-key <file>', 'ML-DSA-65 public key (default <dataDir>/keys/audit-mldsa65.pub when present)')
    .option('--checkpoints <file>', "checkpoints kept by a SIEM or webhook (JSON lines), checked against the store")
    .option('--json', 'print the result as JSON')
    .action(async (options: { archive?: string; publicKey?: string; pqPublicKey?: string; checkpoints?: string; json?: boolean }) => {
      const keyFile = options.publicKey ?? auditKeyPaths(context.config().dataDir).publicKey;
      const verifiers: CheckpointVerifier[] = [loadAuditVerifier(keyFile)];
      // Checkpoints carry an ML-DSA-65 signature beside Ed25519: check it too whenever its public key is at hand.
      const pqFile = options.pqPublicKey ?? join(context.config().dataDir, 'keys', AUDIT_MLDSA_PUBLIC_KEY_FILE);
      if (options.pqPublicKey || existsSync(pqFile)) {
        verifiers.push(mlDsaVerifier(Buffer.from(readFileSync(pqFile, 'utf8').trim(), 'base64')));
      }
      let result: VerificationResult;
      if (options.archive) {
        result = await verifyArchive(readFileSync(options.archive), verifiers);
      } else {
        const database = await context.openStore();
        try {
          const externalCheckpoints = options.checkpoints ? parseExternalCheckpoints(readFileSync(options.checkpoints, 'utf8')) : undefined;
          result = await verifyStore(createAuditStore(database.db, database.dialect), { verifiers, externalCheckpoints });
        } finally {
          await database.close();
        }
      }
      if (options.json) {
        context.print({ intact: result.intact, events: result.events, lastSequence: result.lastSequence, checkpoints: result.checkpoints, damage: result.damage ?? null });
        if (!result.intact) process.exitCode = 1;
      } else report(context, result, options.archive ? `archive ${options.archive}` : 'audit trail');
    });

  withFilters(audit.command('search').description('Search the audit trail through the API (newest first)'))
    .option('--limit <n>', 'most events', '50')
    .option('--format <format>', 'text | json | jsonl | csv', 'text')
    .action(async (options: FilterOptions & { limit: string; format: string }) => {
      const api = context.api();
      const q = filterQuery(options);
      const limit = Number(options.limit);
      if (options.format === 'jsonl' || options.format === 'csv') {
        q.set('format', options.format);
        q.set('limit', String(limit));
        const stream = await api.stream(`/api/v1/audit/events/export?${q}`);
        for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) context.out.write(chunk);
        return;
      }
      const items: AuditRecord[] = [];
      let cursor: string | null = null;
      do {
        const page = new URLSearchParams(q);
        page.set('limit', String(Math.min(500, limit - items.length)));
        if (cursor) page.set('cursor', cursor);
        const body: { items: AuditRecord[]; nextCursor: string | null } = await api.request('GET', `/api/v1/audit/events?${page}`);
        items.push(...body.items);
        cursor = body.nextCursor;
      } while (cursor && items.length < limit);
      if (options.format === 'json') context.print(items);
      else for (const r of items) context.out.write(`${formatLine(r)}\n`);
    });

  withFilters(audit.command('tail').description('Show the latest events; with -f keep following new ones'))
    .option('-f, --follow', 'keep waiting for new events')
    .option('--json', 'one JSON object per line')
    .action(async (options: FilterOptions & { follow?: boolean; json?: boolean }) => {
      const api = context.api();
      const q = filterQuery(options);
      const show = (items: AuditRecord[]) => {
        for (const r of items) context.out.write(options.json ? `${JSON.stringify(r)}\n` : `${formatLine(r)}\n`);
      };
      let body: { items: AuditRecord[]; last: number } = await api.request('GET', `/api/v1/audit/tail?${q}`);
      show(body.items);
      while (options.follow) {
        const poll = new URLSearchParams(q);
        poll.set('after', String(body.last));
        body = await api.request('GET', `/api/v1/audit/tail?${poll}`);
        show(body.items);
      }
    });

  audit
    .command('sinks')
    .description('Export sink health: lag, delivered count, last error')
    .action(async () => {
      const body: { items: unknown[] } = await context.api().request('GET', '/api/v1/audit/sinks');
      context.print(body.items);
    });

  audit
    .command('archive')
    .description('Seal events older than the retention period into signed archives, verify them, then prune (offline)')
    .option('--retention-days <days>', 'keep this many days in the store', String(DEFAULT_RETENTION_DAYS))
    .option('--directory <dir>', 'archive directory (default <dataDir>/audit-archives)')
    .action(async (options: { retentionDays: string; directory?: string }) => {
      const config = context.config();
      const signer = loadOrCreateAuditSigner(config.dataDir);
      const verifiers = [loadAuditVerifier(auditKeyPaths(config.dataDir).publicKey)];
      const database = await context.openStore();
      const trail = createAuditTrail({ db: database.db, dialect: database.dialect, clock: systemClock, nodeId: config.nodeId, signers: [signer] });
      try {
        const archiver = createAuditArchiver({
          store: trail.store,
          signers: [signer],
          verifiers,
          clock: systemClock,
          directory: options.directory ?? join(config.dataDir, 'audit-archives'),
          audit: trail,
          retentionDays: Number(options.retentionDays),
        });
        const written = await archiver.sealExpired();
        for (const w of written) context.out.write(`sealed ${w.seal.firstSequence}..${w.seal.lastSequence} (${w.seal.events} events) into ${w.file}\n`);
        if (written.length === 0) context.out.write('nothing older than the retention period\n');
      } finally {
        await trail.close();
        await database.close();
      }
    });
};

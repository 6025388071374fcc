// `ward policy …`: validate and test policy files offline (CI-friendly), and against the running server apply,
// diff, show history and explain decisions.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { parsePolicySet } from '../policy/cedar.js';
import { parsePolicyTestFile, parseResourceRef, runPolicyTests } from '../policy/testfile.js';
import { hospitalPackText } from '../policy/service.js';
import { WardError } from '../platform/errors.js';

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardError('NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`);
  }
}

export function register(program: Command, context: CliContext): void {
  const policy = program.command('policy').description('Cedar policies: validate, test, apply, diff, history, explain');

  policy
    .command('validate <file>')
    .description('Parse and validate a policy file against the Ward schema (offline)')
    .action((file: string) => {
      const set = parsePolicySet(read(file));
      context.print(`${file}: ${set.policies.length} policies valid`);
      for (const p of set.policies) context.print(`  ${p.effect.padEnd(6)} ${p.id} (line ${p.line})`);
    });

  policy
    .command('test <testFile...>')
    .description('Run policy test files (YAML) against a policy file (offline; default: the hospital pack)')
    .option('--policies <file>', 'Cedar policy file to test')
    .action((files: string[], options: { policies?: string }) => {
      const text = options.policies ? read(options.policies) : hospitalPackText();
      const set = parsePolicySet(text);
      let failed = 0;
      for (const file of files) {
        const report = runPolicyTests(parsePolicyTestFile(read(file)), set);
        for (const r of report.results) {
          context.print(`${r.passed ? 'ok  ' : 'FAIL'} ${r.name}${r.passed ? '' : `\n     ${r.problem}\n     ${r.summary}`}`);
        }
        context.print(`${report.name}: ${report.passed} passed, ${report.failed} failed`);
        failed += report.failed;
      }
      if (failed > 0) process.exitCode = 1;
    });

  policy
    .command('apply <file>')
    .description('Validate and activate a policy file as the next version on the server')
    .option('-m, --comment <text>', 'Why this change')
    .option('--expected-version <n>', 'Refuse if the active version is not this one', (v) => Number(v))
    .action(async (file: string, options: { comment?: string; expectedVersion?: number }) => {
      const body = { text: read(file), ...(options.comment ? { comment: options.comment } : {}), ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}) };
      const applied = await context.api().request<{ version: number; policyIds: string[] }>('POST', '/api/v1/policy/apply', body);
      context.print(`applied version ${applied.version} (${applied.policyIds.length} policies)`);
    });

  policy
    .command('diff <file>')
    .description('Policies added, removed and changed against the active set')
    .action(async (file: string) => {
      context.print(await context.api().request('POST', '/api/v1/policy/diff', { text: read(file) }));
    });

  policy
    .command('history')
    .description('Applied policy sets, newest first')
    .option('--limit <n>', 'How many', (v) => Number(v), 20)
    .action(async (options: { limit: number }) => {
      const { items } = await context.api().request<{ items: { version: number; createdAt: number; createdBy: string | null; comment: string | null; policyIds: string[] }[] }>(
        'GET',
        `/api/v1/policy/history?limit=${options.limit}`,
      );
      for (const item of items) {
        context.print(`v${item.version}  ${new Date(item.createdAt).toISOString()}  ${item.createdBy ?? 'system'}  ${item.policyIds.length} policies  ${item.comment ?? ''}`);
      }
    });

  policy
    .command('explain')
    .description('What the policy decides for a request, and why')
    .requiredOption('--principal <userId>', 'User id')
    .requiredOption('--action <action>', 'connect, request, approve, reveal, breakglass, exec, query, admin.*')
    .requiredOption('--resource <ref>', 'Target::id, Account::id or System::ward')
    .option('--context <json>', 'Request context as JSON', '{}')
    .option('--evaluator <name>', 'compiled or cedar-wasm', 'compiled')
    .action(async (options: { principal: string; action: string; resource: string; context: string; evaluator: string }) => {
      let requestContext: unknown;
      try {
        requestContext = JSON.parse(options.context);
      } catch {
        throw new WardError('VALIDATION_FAILED', '--context is not valid JSON');
      }
      const explanation = await context.api().request<{ decision: string; summary: string; determining: string[] }>('POST', '/api/v1/policy/explain', {
        principal: { type: 'User', id: options.principal },
        action: options.action,
        resource: parseResourceRef(options.resource),
        context: requestContext,
        evaluator: options.evaluator,
      });
      context.print(`${explanation.decision.toUpperCase()}  ${explanation.summary}`);
    });
}

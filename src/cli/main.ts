// The `ward` command: one file per command group, each registering its subcommands here.
import { Command, CommanderError } from 'commander';
import { createCliContext, type CommandGroup } from './context.js';
import { isWardError } from '../platform/errors.js';
import { commandGroups } from './groups.js';

export async function runCli(argv: string[], context = createCliContext()): Promise<number> {
  const program = new Command('ward')
    .description('Ward: privileged access management for hospitals')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => context.out.write(s), writeErr: (s) => context.err.write(s) });
  for (const group of commandGroups as CommandGroup[]) group(program, context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isWardError(error)) {
      context.err.write(`error ${error.code}: ${error.message}\n`);
      return 2;
    }
    context.err.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

const invokedDirectly = process.argv[1] && /[\\/]cli[\\/]main\.(ts|js)$/.test(process.argv[1]);
const viaBin = process.argv[1] && /[\\/]ward(\.js)?$/.test(process.argv[1]);
if (invokedDirectly || viaBin) {
  const code = await runCli(process.argv.slice(2));
  // Long-running commands (serve, demo, tail -f) keep the event loop alive; others exit with their code.
  process.exitCode = code;
}

// `ward keys …`: key-encryption keys — list, rotate online (the server re-wraps in the background), status.
import type { Command } from 'commander';
import type { CliContext, CommandGroup } from './context.js';

export const keysCommands: CommandGroup = (program: Command, context: CliContext) => {
  const keys = program.command('keys').description('Vault key-encryption keys');
  keys.command('list').description('KEK versions, their state and how many data keys each wraps').action(async () => {
    context.print(await context.api().request('GET', '/api/v1/keys'));
  });
  keys
    .command('rotate')
    .description('Make a new KEK version and re-wrap every data key in the background; reads and writes continue')
    .option('--wait', 'poll until the re-wrap finishes')
    .action(async (options: { wait?: boolean }) => {
      let status = await context.api().request<{ state: string; remaining: number }>('POST', '/api/v1/keys/rotate');
      context.print(status);
      while (options.wait && status.state === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        status = (await context.api().request<{ rotation: { state: string; remaining: number } }>('GET', '/api/v1/keys')).rotation;
        context.print(`re-wrap ${status.state}, ${status.remaining} data keys remaining`);
      }
    });
  keys.command('status').description('Progress of the latest rotation').action(async () => {
    context.print((await context.api().request<{ rotation: unknown }>('GET', '/api/v1/keys')).rotation);
  });
};

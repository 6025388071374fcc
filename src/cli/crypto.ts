// `ward crypto inventory`: every algorithm and key in use, its version, age and how many objects it protects.
import type { Command } from 'commander';
import type { CliContext, CommandGroup } from './context.js';

interface Entry {
  category: string;
  algorithm: string;
  keyId: string | null;
  state: string | null;
  ageDays: number | null;
  objects: number | null;
}

export const cryptoCommands: CommandGroup = (program: Command, context: CliContext) => {
  const crypto = program.command('crypto').description('Cryptography inventory');
  crypto
    .command('inventory')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { items } = await context.api().request<{ items: Entry[] }>('GET', '/api/v1/crypto/inventory');
      if (options.json) return context.print(items);
      const rows = items.map((i) => [i.category, i.algorithm, i.keyId ?? '—', i.state ?? '—', i.ageDays === null ? '—' : `${i.ageDays} d`, i.objects === null ? '—' : String(i.objects)]);
      const header = ['category', 'algorithm', 'key', 'state', 'age', 'objects'];
      const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
      for (const row of [header, ...rows]) context.print(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
    });
};

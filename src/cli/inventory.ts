// `ward inventory …`: zones, targets, accounts and the CSV/YAML first load, through the running server's API.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { CliContext, CommandGroup } from './context.js';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

async function resolveTargetId(context: CliContext, ref: string): Promise<string> {
  if (/^[0-9a-f-]{36}$/.test(ref)) return ref;
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ id: string; name: string }>; nextCursor: string | null } = await context
      .api()
      .request('GET', `/api/v1/targets?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const found = page.items.find((t) => t.name.toLowerCase() === ref.toLowerCase());
    if (found) return found.id;
    cursor = page.nextCursor;
  } while (cursor);
  throw new Error(`no target named "${ref}"`);
}

export const inventoryCommands: CommandGroup = (program: Command, context: CliContext) => {
  const inventory = program.command('inventory').description('Zones, targets and accounts');

  const zones = inventory.command('zones').description('Network and clinical zones and the gateways serving them');
  zones.command('list').action(async () => context.print(await context.api().request('GET', '/api/v1/zones?limit=500')));
  zones
    .command('create <name>')
    .option('--description <text>', 'what the zone holds', '')
    .option('--gateways <ids>', 'comma-separated gateway ids', '')
    .action(async (name: string, options: { description: string; gateways: string }) => {
      context.print(await context.api().request('POST', '/api/v1/zones', { name, description: options.description, gatewayIds: list(options.gateways) }));
    });

  const targets = inventory.command('targets').description('Systems Ward protects');
  targets
    .command('list')
    .option('--zone <id>', 'only this zone')
    .action(async (options: { zone?: string }) => {
      context.print(await context.api().request('GET', `/api/v1/targets?limit=500${options.zone ? `&zoneId=${encodeURIComponent(options.zone)}` : ''}`));
    });
  targets
    .command('create <name>')
    .requiredOption('--address <host>', 'host name or IP')
    .requiredOption('--zone <zone>', 'zone id or name')
    .option('--protocols <list>', 'ssh,postgres,https,rdp', 'ssh')
    .option('--criticality <level>', 'low|medium|high|clinical-critical', 'medium')
    .option('--ephi <level>', 'none|limited|full', 'none')
    .option('--owner <userId>', 'owning user id')
    .option('--tags <list>', 'comma-separated tags', '')
    .action(async (name: string, o: { address: string; zone: string; protocols: string; criticality: string; ephi: string; owner?: string; tags: string }) => {
      context.print(
        await context.api().request('POST', '/api/v1/targets', {
          name,
          address: o.address,
          zone: o.zone,
          protocols: list(o.protocols),
          criticality: o.criticality,
          ephiSensitivity: o.ephi,
          ...(o.owner ? { ownerUserId: o.owner } : {}),
          tags: list(o.tags),
        }),
      );
    });
  targets.command('show <target>').action(async (ref: string) => context.print(await context.api().request('GET', `/api/v1/targets/${await resolveTargetId(context, ref)}`)));

  const accounts = inventory.command('accounts').description('Accounts on targets');
  accounts.command('list <target>').action(async (ref: string) => context.print(await context.api().request('GET', `/api/v1/targets/${await resolveTargetId(context, ref)}/accounts?limit=500`)));
  accounts
    .command('create <target> <username>')
    .option('--kind <kind>', 'human-admin|service|device|emergency|vendor', 'service')
    .option('--privilege <level>', 'standard|elevated|admin|root', 'standard')
    .option('--owner <userId>', 'owning user id')
    .option('--unmanaged', 'Ward does not rotate this account')
    .action(async (ref: string, username: string, o: { kind: string; privilege: string; owner?: string; unmanaged?: boolean }) => {
      context.print(
        await context.api().request('POST', `/api/v1/targets/${await resolveTargetId(context, ref)}/accounts`, {
          username,
          kind: o.kind,
          privilegeLevel: o.privilege,
          managed: !o.unmanaged,
          ...(o.owner ? { ownerUserId: o.owner } : {}),
        }),
      );
    });

  const hostKeys = inventory.command('host-keys').description('Pinned SSH host keys of targets (the gateway connects only to pinned keys)');
  hostKeys.command('list <target>').action(async (ref: string) => context.print(await context.api().request('GET', `/api/v1/targets/${await resolveTargetId(context, ref)}/host-keys`)));
  hostKeys
    .command('pin <target> <key>')
    .description('Pin one host key ("ssh-ed25519 AAAA…"), checked out of band')
    .action(async (ref: string, key: string) => context.print(await context.api().request('POST', `/api/v1/targets/${await resolveTargetId(context, ref)}/host-keys`, { publicKey: key })));
  hostKeys
    .command('import <target> <knownHostsFile>')
    .description('Pin the keys a known_hosts file lists for the target (plain, [host]:port or hashed entries)')
    .action(async (ref: string, file: string) =>
      context.print(await context.api().request('POST', `/api/v1/targets/${await resolveTargetId(context, ref)}/host-keys`, { knownHosts: readFileSync(file, 'utf8') })),
    );
  hostKeys
    .command('unpin <target> <pinId>')
    .action(async (ref: string, pinId: string) => context.print(await context.api().request('DELETE', `/api/v1/targets/${await resolveTargetId(context, ref)}/host-keys/${encodeURIComponent(pinId)}`)));

  inventory
    .command('import <file>')
    .description('Load zones, targets and accounts from CSV or YAML in one transaction (all rows or none)')
    .option('--format <format>', 'csv or yaml (default: from the file extension)')
    .option('--dry-run', 'check everything, write nothing')
    .action(async (file: string, o: { format?: string; dryRun?: boolean }) => {
      const format = o.format ?? (extname(file).toLowerCase() === '.csv' ? 'csv' : 'yaml');
      const content = readFileSync(file, 'utf8');
      context.print(await context.api().request('POST', '/api/v1/inventory/import', { format, content, dryRun: o.dryRun === true }));
    });
};

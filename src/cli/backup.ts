// `ward backup keygen|create|restore|inspect`: whole-store backups encrypted for a recipient key with hybrid
// X25519 + ML-KEM-768. create/restore open the configured store directly (run restore with the server stopped).
import { chmodSync, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Kysely } from 'kysely';
import type { Command } from 'commander';
import { WardError } from '../platform/errors.js';
import { Secret } from '../platform/secret.js';
import { systemClock } from '../platform/clock.js';
import { createBackup, generateBackupKeyPair, readBackupHeader, restoreBackup } from '../vault/backup.js';
import type { CliContext, CommandGroup } from './context.js';

export const backupCommands: CommandGroup = (program: Command, context: CliContext) => {
  const backup = program.command('backup').description('Encrypted, post-quantum-protected backups of the whole store');
  backup
    .command('keygen <prefix>')
    .description('Write a recipient key pair: <prefix>.pub (give to the server) and <prefix>.key (keep offline, 0600)')
    .action((prefix: string) => {
      const keys = generateBackupKeyPair();
      writeFileSync(`${prefix}.pub`, `${keys.publicKey}\n`);
      writeFileSync(`${prefix}.key`, `${keys.secretKey.reveal()}\n`, { mode: 0o600 });
      chmodSync(`${prefix}.key`, 0o600);
      context.print({ keyId: keys.keyId, publicKey: `${prefix}.pub`, secretKey: `${prefix}.key` });
    });
  backup
    .command('create')
    .requiredOption('--recipient <file>', 'recipient public key file (ward backup keygen)')
    .requiredOption('--out <file>', 'where to write the backup')
    .action(async (o: { recipient: string; out: string }) => {
      const database = await context.openStore();
      const output = createWriteStream(o.out, { mode: 0o600 });
      try {
        const result = await createBackup({
          db: database.db as unknown as Kysely<unknown>,
          dialect: database.dialect,
          recipientPublicKey: readFileSync(o.recipient, 'utf8'),
          now: systemClock.now,
          write: async (bytes) => {
            if (!output.write(bytes)) await once(output, 'drain');
          },
        });
        output.end();
        await once(output, 'finish');
        context.print({ file: o.out, ...result });
      } finally {
        await database.close();
      }
    });
  backup
    .command('restore')
    .requiredOption('--in <file>', 'the backup file')
    .requiredOption('--key <file>', 'recipient secret key file')
    .option('--yes', 'replace every row of the configured store')
    .action(async (o: { in: string; key: string; yes?: boolean }) => {
      if (!o.yes) throw new WardError('VALIDATION_FAILED', 'Restore replaces the whole store; pass --yes to confirm (stop the server first).');
      const database = await context.openStore();
      try {
        const result = await restoreBackup({
          db: database.db as unknown as Kysely<unknown>,
          dialect: database.dialect,
          data: readFileSync(o.in),
          recipientSecretKey: new Secret(readFileSync(o.key, 'utf8')),
        });
        context.print({ restored: true, ...result });
      } finally {
        await database.close();
      }
    });
  backup
    .command('inspect <file>')
    .description('Show the backup header (algorithms, recipient key id, creation time) without decrypting')
    .action((file: string) => {
      const { header } = readBackupHeader(readFileSync(file));
      context.print({ createdAt: new Date(header.createdAt).toISOString(), keyId: header.keyId, kem: header.kem, kdf: header.kdf, cipher: header.cipher, sourceDialect: header.sourceDialect, migrations: header.migrations.length });
    });
};

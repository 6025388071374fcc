// What every command group gets: configuration, an opened store, an API client, and output helpers.
// Command groups live one per file (`audit.ts`, `keys.ts`, …) and export `register(program, context)`.
import type { Command } from 'commander';
import { loadConfig, type WardConfig } from '../platform/config.js';
import { openDatabase, migrateToLatest, type WardDatabase } from '../platform/database/index.js';
import { allMigrations } from '../server/migrations.js';
import { createApiClient, type ApiClient } from './client.js';

export interface CliContext {
  config(): WardConfig;
  /** Opens the configured store and applies migrations (offline commands such as `audit verify`). */
  openStore(): Promise<WardDatabase>;
  /** A client for the running server's /api/v1, authenticated by WARD_TOKEN or the saved `ward login`. */
  api(): ApiClient;
  print(value: unknown): void;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export type CommandGroup = (program: Command, context: CliContext) => void;

export function createCliContext(env: Record<string, string | undefined> = process.env): CliContext {
  let config: WardConfig | undefined;
  const context: CliContext = {
    config: () => (config ??= loadConfig(env)),
    async openStore() {
      const cfg = context.config();
      const database = openDatabase(cfg.databaseUrl);
      await migrateToLatest(database.db, allMigrations, database.dialect);
      return database;
    },
    api: () => createApiClient(context.config(), env),
    print(value) {
      context.out.write(typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
    },
    out: process.stdout,
    err: process.stderr,
  };
  return context;
}

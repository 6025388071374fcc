// The inventory, keys, crypto and backup command groups, run through `runCli` against a real server and store.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describeEachDialect } from '../support/dialects.js';
import { buildVault } from './fixtures.js';
import { buildTestApp } from './http.js';
import { runCli } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { createApiClient } from '../../src/cli/client.js';
import { loadConfig } from '../../src/platform/config.js';
import { openDatabase } from '../../src/platform/database/index.js';

describeEachDialect('vault and inventory CLI', (ctx) => {
  let env: Awaited<ReturnType<typeof buildVault>>;
  let http: Awaited<ReturnType<typeof buildTestApp>>;
  let context: CliContext & { output: () => string; errors: () => string; reset: () => void };
  const dir = mkdtempSync(join(tmpdir(), 'ward-cli-'));

  beforeAll(async () => {
    env = await buildVault(ctx.database.db);
    http = await buildTestApp({ db: ctx.database.db, vault: env.vault, inventory: env.inventory, clock: env.clock, logLevel: 'silent' });
    const address = await http.app.listen({ host: '127.0.0.1', port: 0 });
    const cliEnv = { WARD_DATA_DIR: dir, WARD_URL: address, WARD_TOKEN: 'admin-token', WARD_DATABASE_URL: ctx.url, WARD_SESSION_FILE: join(dir, 'session.json') };
    let out = '';
    let err = '';
    const config = loadConfig(cliEnv, dir);
    context = {
      config: () => config,
      openStore: async () => openDatabase(ctx.url),
      api: () => createApiClient(config, cliEnv),
      print: (value) => void (out += typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`),
      out: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }),
      err: new Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) }),
      output: () => out,
      errors: () => err,
      reset: () => {
        out = '';
        err = '';
      },
    };
  });
  afterAll(async () => {
    await http?.app.close();
  });

  it('creates a zone and imports a CSV file through the API', async () => {
    expect(await runCli(['inventory', 'zones', 'create', 'Radiology', '--gateways', 'gw-r1'], context)).toBe(0);
    const csv = join(dir, 'load.csv');
    writeFileSync(csv, 'zone,target,address,protocols,criticality,ephi,username,kind\nRadiology,ct-01,ct.local,ssh,high,full,tech,device\n');
    expect(await runCli(['inventory', 'import', csv], context)).toBe(0);
    expect(context.output()).toContain('"targetsCreated": 1');
    context.reset();
    expect(await runCli(['inventory', 'accounts', 'list', 'ct-01'], context)).toBe(0);
    expect(context.output()).toContain('"username": "tech"');
  });

  it('stores, reveals, checks out and checks in a secret from the command line', async () => {
    const target = (await env.inventory.findTargetByName('ct-01'))!;
    const [account] = await env.inventory.listAccounts({ targetId: target.id, limit: 10 });
    const valueFile = join(dir, 'value.txt');
    writeFileSync(valueFile, 'Cli-Stored-Password-5\n');
    expect(await runCli(['secrets', 'set', account!.id, '--from-file', valueFile], context)).toBe(0);
    const secretId = JSON.parse(context.output().slice(context.output().lastIndexOf('{\n  "id"'))).id as string;
    context.reset();
    expect(await runCli(['secrets', 'reveal', secretId, '--reason-code', 'HSYSADMIN', '--justification', 'test'], context)).toBe(0);
    expect(context.output()).toBe('Cli-Stored-Password-5\n');
    expect(await runCli(['secrets', 'checkout', account!.id, '--reason', 'firmware', '--minutes', '30'], context)).toBe(0);
    expect(await runCli(['secrets', 'checkout', account!.id, '--reason', 'again'], context)).toBe(2);
    expect(context.errors()).toContain('CHECKED_OUT');
    expect(await runCli(['secrets', 'checkin', account!.id], context)).toBe(0);
  });

  it('reports a bad import row as an error with the row number and exit code 2', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'zone,target,address,protocols,criticality,ephi\nRadiology,mr-01,mr.local,telnet,high,full\n');
    expect(await runCli(['inventory', 'import', csv], context)).toBe(2);
    expect(context.errors()).toMatch(/VALIDATION_FAILED.*row 2: protocol must be one of/);
  });

  it('rotates keys and prints the crypto inventory table', async () => {
    context.reset();
    expect(await runCli(['keys', 'rotate', '--wait'], context)).toBe(0);
    await env.vault.waitForRotation();
    expect(await runCli(['crypto', 'inventory'], context)).toBe(0);
    expect(context.output()).toMatch(/key-encryption-key\s+AES-256-GCM/);
    expect(context.output()).toContain('ML-KEM-768');
  });

  it('makes a recipient key pair, a backup, inspects it and restores it', async () => {
    const prefix = join(dir, 'recipient');
    expect(await runCli(['backup', 'keygen', prefix], context)).toBe(0);
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    const file = join(dir, 'store.wbk');
    expect(await runCli(['backup', 'create', '--recipient', `${prefix}.pub`, '--out', file], context)).toBe(0);
    context.reset();
    expect(await runCli(['backup', 'inspect', file], context)).toBe(0);
    expect(context.output()).toContain('X25519+ML-KEM-768');
    expect(await runCli(['backup', 'restore', '--in', file, '--key', `${prefix}.key`], context)).toBe(2);
    expect(await runCli(['backup', 'restore', '--in', file, '--key', `${prefix}.key`, '--yes'], context)).toBe(0);
    expect(await env.inventory.findTargetByName('ct-01')).toBeDefined();
  });
});

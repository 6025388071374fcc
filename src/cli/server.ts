// `ward init`, `ward serve`, `ward demo`: setting up a data directory and running the server.
import type { CommandGroup } from './context.js';
import { bootstrapWard, createWard, initWard, type Ward } from '../server/compose.js';
import { loadDemoHospital } from '../server/demo.js';
import { startDemoSshTarget } from '../server/demo-ssh.js';

function onSignals(ward: Ward, context: { err: NodeJS.WritableStream }, before: () => Promise<void> = async () => {}) {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    context.err.write(`\n${signal}: shutting down\n`);
    before()
      .catch(() => undefined)
      .then(() => ward.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

export const serverCommands: CommandGroup = (program, context) => {
  program
    .command('init')
    .description('create the data directory, local key file, schema and the bootstrap admin (idempotent)')
    .action(async () => {
      const config = context.config();
      const result = await initWard(config);
      context.print(`data directory: ${config.dataDir}`);
      context.print(`store: ${config.databaseKind}`);
      if (result.keyCreated) context.print('local key file created (mode 0600); back it up — secrets cannot be read without it');
      if (result.admin.created && result.admin.oneTimePassword) {
        context.print(`bootstrap admin: username "admin", one-time password: ${result.admin.oneTimePassword}`);
        context.print('This password is shown once. Sign in and enrol a second factor before anything else.');
      } else if (result.admin.created) {
        context.print('bootstrap admin "admin" created with WARD_BOOTSTRAP_ADMIN_PASSWORD');
      } else {
        context.print('already initialised; bootstrap admin exists');
      }
    });

  program
    .command('serve')
    .description('run the API, web console and gateways')
    .action(async () => {
      const ward = await createWard({ config: context.config() });
      const { url } = await ward.listen();
      context.print(`Ward listening on ${url} (store: ${ward.database.dialect})`);
      const ssh = ward.ssh.address();
      if (ssh) context.print(`SSH gateway on ${ssh.host}:${ssh.port}`);
      onSignals(ward, context);
    });

  program
    .command('demo')
    .description('initialise a data directory with a demo hospital and serve it')
    .action(async () => {
      const config = context.config();
      // One composition does both: initialising and serving the demo need not start Ward twice.
      const ward = await createWard({ config });
      const init = await bootstrapWard(ward);
      const demo = await loadDemoHospital(ward, { adminPassword: init.admin.oneTimePassword });
      const { url } = await ward.listen();
      context.print(`\nWard demo hospital "${demo.hospital}" is running at ${url}`);
      context.print(`  API: ${url}/api/v1   OpenAPI: ${url}/api/openapi.json`);
      context.print(`  Data directory: ${config.dataDir} (store: ${ward.database.dialect})`);
      const ssh = ward.ssh.address();
      if (ssh) context.print(`  SSH gateway: ssh -p ${ssh.port} USER+TARGET@${ssh.host}`);
      for (const line of demo.howToLogIn) context.print(`  ${line}`);
      const target = await startDemoSshTarget(ward);
      for (const line of target.lines) context.print(`  ${line}`);
      context.print('Press Ctrl-C to stop.');
      onSignals(ward, context, () => target.stop());
    });
};

// The demo's working SSH target: a private sshd on loopback (see private-sshd.ts) registered in the inventory as
// `demo-linux-01`, its login key in the vault and its host key pinned, so request → ssh → replay works on a fresh
// machine. Without OpenSSH's server the demo says in one line how to get it.
import { join } from 'node:path';
import { freeLoopbackPort } from '../platform/ports.js';
import { secret } from '../platform/secret.js';
import type { Ward } from './compose.js';
import { sshdInstalled, startPrivateSshd } from './private-sshd.js';

export const DEMO_SSH_TARGET = 'demo-linux-01';

export interface DemoSshTarget {
  /** What `ward demo` prints about the target. */
  lines: string[];
  stop(): Promise<void>;
}

export async function startDemoSshTarget(ward: Ward, options: { installed?: () => boolean } = {}): Promise<DemoSshTarget> {
  if (!(options.installed ?? sshdInstalled)()) {
    return {
      lines: [`SSH target: none (OpenSSH's server is not installed; "sudo apt-get install openssh-server" and run the demo again for a working ${DEMO_SSH_TARGET})`],
      stop: async () => {},
    };
  }
  const sshd = await startPrivateSshd({ directory: join(ward.config.dataDir, 'demo-sshd'), port: await freeLoopbackPort() });
  try {
    const actor = { id: 'demo-loader', kind: 'system' as const, name: 'demo-loader' };
    const address = `${sshd.host}:${sshd.port}`;
    let target = await ward.inventory.findTargetByName(DEMO_SSH_TARGET);
    if (!target) {
      target = await ward.inventory.createTarget(
        { name: DEMO_SSH_TARGET, address, protocols: ['ssh'], zone: 'enterprise', criticality: 'low', ephiSensitivity: 'none', tags: ['demo'] },
        actor,
      );
    } else if (target.address !== address) {
      // A new free port on every start: the inventory follows it.
      target = await ward.inventory.updateTarget(target.id, { address }, actor);
    }
    const accounts = await ward.inventory.listAccounts({ targetId: target.id, limit: 10 });
    const account = accounts.find((a) => a.username === sshd.user) ?? (await ward.inventory.createAccount(target.id, { username: sshd.user, kind: 'human-admin', privilegeLevel: 'admin' }, actor));
    if (!(await ward.vault.accountHasSecrets(account.id))) {
      await ward.vault.storeSecret({ accountId: account.id, kind: 'ssh-key', value: secret(sshd.userKey.privateKey) }, actor);
    }
    const pins = await ward.ssh.hostKeys.list(target.id);
    if (!pins.some((p) => p.publicKey === sshd.hostPublicKey)) await ward.ssh.hostKeys.pin(target, sshd.hostPublicKey, actor);
  } catch (error) {
    await sshd.stop();
    throw error;
  }
  const gateway = ward.ssh.address();
  const via = gateway ? `ssh -p ${gateway.port} sam.patel+${DEMO_SSH_TARGET}@${gateway.host}` : `ssh -p 2222 sam.patel+${DEMO_SSH_TARGET}@127.0.0.1`;
  return {
    lines: [
      `SSH target: ${DEMO_SSH_TARGET}, a private sshd on ${sshd.host}:${sshd.port} (logs in as ${sshd.user} with a key only Ward holds)`,
      `  Try it: sign in to the console as sam.patel, enrol TOTP, "Request access" to ${DEMO_SSH_TARGET} (low risk: granted at once), then`,
      `  ${via} "uname -a"   (answers: Sam's Ward password, then the one-time code)`,
      `  Replay: Sessions → Recordings in the console, or ward play SESSION_ID`,
    ],
    stop: () => sshd.stop(),
  };
}

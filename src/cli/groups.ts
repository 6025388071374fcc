// Every command group, in the order `ward --help` lists them.
import type { CommandGroup } from './context.js';
import { serverCommands } from './server.js';
import { identityCommands } from './identity.js';
import { accessCommands } from './access.js';
import { auditCommands } from './audit.js';
import { inventoryCommands } from './inventory.js';
import { secretsCommands } from './secrets.js';
import { keysCommands } from './keys.js';
import { cryptoCommands } from './crypto.js';
import { backupCommands } from './backup.js';
import { recordingCommands } from './recording.js';
import { register as policyCommands } from './policy.js';

export const commandGroups: CommandGroup[] = [
  serverCommands,
  identityCommands,
  accessCommands,
  auditCommands,
  inventoryCommands,
  secretsCommands,
  keysCommands,
  cryptoCommands,
  backupCommands,
  policyCommands,
  recordingCommands,
];

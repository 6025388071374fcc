// Every domain's migrations, in one list the migrator applies at start. Domains own their migration files.
import type { WardMigration } from '../platform/database/index.js';
import { identityMigrations } from '../identity/migrations.js';
import { auditMigrations } from '../audit/migrations.js';
import { inventoryMigrations } from '../inventory/migrations.js';
import { vaultMigrations } from '../vault/migrations.js';
import { accessMigrations } from '../access/migrations.js';
import { policyMigrations } from '../policy/migrations.js';

export const allMigrations: WardMigration[] = [
  ...identityMigrations,
  ...auditMigrations,
  ...inventoryMigrations,
  ...vaultMigrations,
  ...accessMigrations,
  ...policyMigrations,
];

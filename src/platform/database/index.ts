export { openDatabase, type WardDatabase, type DialectName } from './connect.js';
export { migrateToLatest, migrationsCurrent, columnTypes, type WardMigration, type ColumnTypes } from './migrations.js';
export type { Database, Bool } from './schema.js';
export { withTransaction, isUniqueViolation, type Executor } from './transactions.js';

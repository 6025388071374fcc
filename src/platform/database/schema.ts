// The database type, assembled by declaration merging: each domain's `tables.ts` adds its tables with
//   declare module '../platform/database/schema.js' { interface Database { users: UsersTable } }
// so domains own their tables and no file lists them all.
// Column conventions (both dialects, so repository code never branches):
//   timestamps: bigint epoch milliseconds (`*_at`); booleans: integer 0/1; JSON: text; bytes: blob/bytea.

export interface Database {}

/** Domain rows store booleans as 0/1 so SQLite and PostgreSQL look the same to queries. */
export type Bool = 0 | 1;

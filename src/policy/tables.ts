// The policy domain's tables: every policy set ever applied, append-only; the highest version is the active one.
export interface PolicySetsTable {
  id: string;
  version: number;
  /** The Cedar text exactly as applied. */
  text: string;
  /** Stable policy ids in the set, as a JSON array. */
  policy_ids: string;
  /** SHA-256 of the text, hex, so `diff` and `apply` can tell an unchanged set. */
  digest: string;
  comment: string | null;
  created_by: string | null;
  created_at: number;
}

declare module '../platform/database/schema.js' {
  interface Database {
    policy_sets: PolicySetsTable;
  }
}

// Queries over the policy store: append a version, read the active (highest) one, list history.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/database/index.js';
import { isUniqueViolation, withTransaction } from '../platform/database/index.js';
import { WardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';

export interface StoredPolicySet {
  id: string;
  version: number;
  text: string;
  policyIds: string[];
  digest: string;
  comment: string | null;
  createdBy: string | null;
  createdAt: number;
}

export interface PolicyStore {
  active(): Promise<StoredPolicySet | undefined>;
  get(version: number): Promise<StoredPolicySet | undefined>;
  history(limit: number): Promise<Omit<StoredPolicySet, 'text'>[]>;
  /** Appends the next version; fails with CONFLICT if another node appended `expectedVersion + 1` first. */
  append(input: { text: string; policyIds: string[]; digest: string; comment: string | null; createdBy: string | null; createdAt: number; expectedVersion: number }): Promise<StoredPolicySet>;
}

type Row = Database['policy_sets'];

function toSet(row: Row): StoredPolicySet {
  return {
    id: row.id,
    version: Number(row.version),
    text: row.text,
    policyIds: JSON.parse(row.policy_ids) as string[],
    digest: row.digest,
    comment: row.comment,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
  };
}

export function createPolicyStore(db: Kysely<Database>): PolicyStore {
  return {
    async active() {
      const row = await db.selectFrom('policy_sets').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
      return row ? toSet(row) : undefined;
    },
    async get(version) {
      const row = await db.selectFrom('policy_sets').selectAll().where('version', '=', version).executeTakeFirst();
      return row ? toSet(row) : undefined;
    },
    async history(limit) {
      const rows = await db
        .selectFrom('policy_sets')
        .select(['id', 'version', 'policy_ids', 'digest', 'comment', 'created_by', 'created_at'])
        .orderBy('version', 'desc')
        .limit(limit)
        .execute();
      return rows.map((row) => {
        const { text: _text, ...rest } = toSet({ ...row, text: '' });
        return rest;
      });
    },
    async append(input) {
      try {
        return await withTransaction(db, async (trx) => {
          const current = await trx.selectFrom('policy_sets').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
          const currentVersion = current ? Number(current.version) : 0;
          if (currentVersion !== input.expectedVersion) {
            throw new WardError('CONFLICT', `the active policy set is version ${currentVersion}, not ${input.expectedVersion}; reload and retry`);
          }
          const row = {
            id: newId(),
            version: currentVersion + 1,
            text: input.text,
            policy_ids: JSON.stringify(input.policyIds),
            digest: input.digest,
            comment: input.comment,
            created_by: input.createdBy,
            created_at: input.createdAt,
          };
          await trx.insertInto('policy_sets').values(row).execute();
          return toSet(row);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardError('CONFLICT', 'another policy set was applied at the same time; reload and retry');
        throw error;
      }
    },
  };
}

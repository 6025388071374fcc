// On-call schedule kept in the database, filled by importing a file (CSV or YAML/JSON) or through the API.
// A PagerDuty/Opsgenie connector would implement the same OnCallSchedule interface and skip the table.
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/database/index.js';
import { withTransaction } from '../platform/database/index.js';
import { WardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { OnCallSchedule, OnCallShift } from './types.js';

export interface StoredOnCallSchedule extends OnCallSchedule {
  /** Replaces every shift from `source` at once (an import is all-or-nothing). */
  replace(source: string, shifts: OnCallShift[], at: number): Promise<number>;
  list(options: { zoneId?: string; from?: number; to?: number }): Promise<(OnCallShift & { source: string })[]>;
}

export function createStoredOnCallSchedule(db: Kysely<Database>): StoredOnCallSchedule {
  return {
    async isOnCall(userId, zoneId, at) {
      const row = await db
        .selectFrom('access_oncall_shifts')
        .select('id')
        .where('user_id', '=', userId)
        .where('zone_id', '=', zoneId)
        .where('starts_at', '<=', at)
        .where('ends_at', '>', at)
        .executeTakeFirst();
      return row !== undefined;
    },
    async onCallFor(zoneId, at) {
      const rows = await db
        .selectFrom('access_oncall_shifts')
        .select('user_id')
        .distinct()
        .where('zone_id', '=', zoneId)
        .where('starts_at', '<=', at)
        .where('ends_at', '>', at)
        .execute();
      return rows.map((r) => r.user_id);
    },
    async replace(source, shifts, at) {
      for (const shift of shifts) {
        if (!(shift.endsAt > shift.startsAt)) throw new WardError('VALIDATION_FAILED', 'every on-call shift must end after it starts');
      }
      return withTransaction(db, async (trx) => {
        await trx.deleteFrom('access_oncall_shifts').where('source', '=', source).execute();
        for (const shift of shifts) {
          await trx
            .insertInto('access_oncall_shifts')
            .values({ id: newId(), source, zone_id: shift.zoneId, user_id: shift.userId, starts_at: shift.startsAt, ends_at: shift.endsAt, imported_at: at })
            .execute();
        }
        return shifts.length;
      });
    },
    async list({ zoneId, from, to }) {
      let query = db.selectFrom('access_oncall_shifts').selectAll().orderBy('starts_at');
      if (zoneId) query = query.where('zone_id', '=', zoneId);
      if (from !== undefined) query = query.where('ends_at', '>', from);
      if (to !== undefined) query = query.where('starts_at', '<', to);
      const rows = await query.limit(1000).execute();
      return rows.map((r) => ({ zoneId: r.zone_id, userId: r.user_id, startsAt: r.starts_at, endsAt: r.ends_at, source: r.source }));
    },
  };
}

/** A shift as people write it: zone and user by name, times as ISO 8601. */
export interface OnCallShiftInput {
  zone: string;
  user: string;
  start: string;
  end: string;
}

/** Parses an on-call export: CSV with a header `zone,user,start,end`, or YAML/JSON `[{zone,user,start,end}]`. */
export function parseOnCallFile(text: string, format: 'csv' | 'yaml'): OnCallShiftInput[] {
  let records: unknown;
  try {
    records = format === 'csv' ? parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) : parseYaml(text);
  } catch (error) {
    throw new WardError('VALIDATION_FAILED', `the on-call file does not parse: ${(error as Error).message}`);
  }
  if (!Array.isArray(records)) throw new WardError('VALIDATION_FAILED', 'the on-call file must be a list of shifts');
  return records.map((record, index) => {
    const r = record as Record<string, unknown>;
    for (const field of ['zone', 'user', 'start', 'end']) {
      if (typeof r[field] !== 'string' && !(r[field] instanceof Date)) {
        throw new WardError('VALIDATION_FAILED', `shift ${index + 1} lacks "${field}"`);
      }
    }
    const asText = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
    return { zone: asText(r.zone), user: asText(r.user), start: asText(r.start), end: asText(r.end) };
  });
}

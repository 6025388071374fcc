// Hot-path queries compiled once: the builder and compiler cost more than the SQLite lookup they describe.
// Arguments are swapped in by position, matched against unique sentinel values used when compiling.
import { CompiledQuery, type Compilable } from 'kysely';
import type { Executor } from '../platform/database/index.js';

export function preparedQuery<Args extends unknown[], Row>(db: Executor, build: (...sentinels: Args) => Compilable<Row>, sentinels: Args) {
  let compiled: { sql: string; slots: number[] } | undefined;
  return async (executor: Executor, ...args: Args): Promise<Row | undefined> => {
    if (!compiled) {
      const query = build(...sentinels).compile();
      const slots = query.parameters.map((p) => sentinels.indexOf(p));
      if (slots.some((slot) => slot < 0)) throw new Error('prepared query has a parameter that is not a sentinel');
      compiled = { sql: query.sql, slots };
    }
    const parameters = compiled.slots.map((slot) => args[slot]);
    const result = await (executor ?? db).executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows[0];
  };
}

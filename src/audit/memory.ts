// An in-process AuditLog for unit tests of other domains that assert what they audited.
// Integration tests and the server use the real, chained store.
import type { AuditEventInput, AuditLog, AuditRecord } from './types.js';
import { newId } from '../platform/ids.js';

export interface MemoryAuditLog extends AuditLog {
  readonly events: AuditRecord[];
  find(action: string): AuditRecord[];
}

export function createMemoryAuditLog(now: () => number = Date.now): MemoryAuditLog {
  const events: AuditRecord[] = [];
  return {
    events,
    async append(event: AuditEventInput) {
      const record: AuditRecord = { ...event, id: newId(), sequence: events.length + 1, time: now(), nodeId: 'test' };
      events.push(record);
      return record;
    },
    find: (action) => events.filter((e) => e.action === action),
  };
}

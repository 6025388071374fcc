// A generic HTTP ticket connector: GET a URL built from a template and read whether the ticket exists and is open.
// Works with ServiceNow/Jira-style APIs through configuration, and fails closed when the tracker is unreachable.
import { WardError } from '../platform/errors.js';
import type { Secret } from '../platform/secret.js';
import type { TicketConnector } from './types.js';

export interface HttpTicketConnectorOptions {
  /** e.g. `https://tickets.example.org/api/tickets/{ticket}`; `{ticket}` is URL-encoded. */
  urlTemplate: string;
  /** JSON field holding the status (dotted path), default `status`. */
  statusField?: string;
  /** Status values meaning "open" (case-insensitive). */
  openStatuses?: string[];
  /** Sent as Authorization: Bearer <token>. */
  token?: Secret;
  timeoutMs?: number;
  /** Tickets must look like this before Ward calls anyone (default: letters, digits, - _ .). */
  pattern?: RegExp;
}

export function createHttpTicketConnector(options: HttpTicketConnectorOptions): TicketConnector {
  const statusField = options.statusField ?? 'status';
  const open = new Set((options.openStatuses ?? ['open', 'new', 'in progress', 'in_progress', 'assigned']).map((s) => s.toLowerCase()));
  const pattern = options.pattern ?? /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  return {
    async check(ticket) {
      if (!pattern.test(ticket)) return { exists: false, open: false };
      const url = options.urlTemplate.replaceAll('{ticket}', encodeURIComponent(ticket));
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'application/json', ...(options.token ? { authorization: `Bearer ${options.token.reveal()}` } : {}) },
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        });
      } catch (error) {
        throw new WardError('SERVICE_UNAVAILABLE', 'The ticket system is not reachable; try again or ask security.', undefined, { cause: error });
      }
      if (response.status === 404) return { exists: false, open: false };
      if (!response.ok) throw new WardError('SERVICE_UNAVAILABLE', `The ticket system answered ${response.status}.`);
      const body = (await response.json().catch(() => null)) as unknown;
      let value: unknown = body;
      for (const part of statusField.split('.')) value = (value as Record<string, unknown> | null)?.[part];
      return { exists: true, open: typeof value === 'string' && open.has(value.toLowerCase()) };
    },
  };
}

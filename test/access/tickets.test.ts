// The generic HTTP ticket connector against a real local ticket API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHttpTicketConnector } from '../../src/access/tickets.js';
import { secret } from '../../src/platform/secret.js';
import { isWardError } from '../../src/platform/errors.js';

describe('HTTP ticket connector', () => {
  let server: Server;
  let base: string;
  const seen: { url: string; auth: string | undefined }[] = [];
  const tickets: Record<string, string> = { 'CHG-100': 'Open', 'CHG-200': 'Closed', 'INC 7': 'In Progress' };

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url ?? '', auth: request.headers.authorization });
      const id = decodeURIComponent((request.url ?? '').replace('/api/tickets/', ''));
      if (id === 'CHG-BOOM') {
        response.statusCode = 503;
        response.end();
        return;
      }
      const status = tickets[id];
      response.setHeader('content-type', 'application/json');
      if (!status) {
        response.statusCode = 404;
        response.end('{"error":"not found"}');
        return;
      }
      response.end(JSON.stringify({ ticket: { id, state: { name: status } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const connector = () =>
    createHttpTicketConnector({ urlTemplate: `${base}/api/tickets/{ticket}`, statusField: 'ticket.state.name', token: secret('tkt-token'), pattern: /^[A-Z]+[- ][0-9A-Z]+$/ });

  it('says an open ticket exists and is open, sending the token', async () => {
    expect(await connector().check('CHG-100')).toEqual({ exists: true, open: true });
    expect(seen.at(-1)).toEqual({ url: '/api/tickets/CHG-100', auth: 'Bearer tkt-token' });
  });

  it('says a closed ticket is not open and an unknown one does not exist', async () => {
    expect(await connector().check('CHG-200')).toEqual({ exists: true, open: false });
    expect(await connector().check('CHG-999')).toEqual({ exists: false, open: false });
  });

  it('encodes the ticket into the URL and never calls out for malformed tickets', async () => {
    expect(await connector().check('INC 7')).toEqual({ exists: true, open: true });
    expect(seen.at(-1)?.url).toBe('/api/tickets/INC%207');
    const before = seen.length;
    expect(await connector().check('../admin')).toEqual({ exists: false, open: false });
    expect(seen.length).toBe(before);
  });

  it('fails closed when the ticket system errs or is unreachable', async () => {
    const error = await connector().check('CHG-BOOM').catch((e: unknown) => e);
    expect(isWardError(error, 'SERVICE_UNAVAILABLE')).toBe(true);
    const down = createHttpTicketConnector({ urlTemplate: 'http://127.0.0.1:9/{ticket}', timeoutMs: 2000 });
    expect(isWardError(await down.check('CHG-1').catch((e: unknown) => e), 'SERVICE_UNAVAILABLE')).toBe(true);
  });
});

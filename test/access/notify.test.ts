// Notifications against real receivers: an in-process SMTP server (smtp-server) and an HTTP webhook endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { SMTPServer } from 'smtp-server';
import { createEmailNotifier, createFanoutNotifier, createWebhookNotifier, verifyWebhook } from '../../src/access/notify.js';
import type { AccessNotification } from '../../src/access/types.js';
import { secret } from '../../src/platform/secret.js';

const notification: AccessNotification = {
  id: 'n-1',
  kind: 'approval.needed',
  subject: 'Approve access: alice to ehr-db',
  text: 'alice asks for 30 min on ehr-db (high risk) for HSYSADMIN: apply migration 42',
  link: 'https://ward.example.org/#/approvals/req-1',
  recipients: [
    { userId: 'bob', username: 'bob', email: 'bob@hospital.example', role: 'approver' },
    { userId: 'maria', username: 'maria', email: 'maria@hospital.example', role: 'manager' },
    { userId: null, username: null, email: null, role: 'security' },
  ],
  context: { requestId: 'req-1', target: 'ehr-db', ticket: 'CHG-7', reasonCode: 'HSYSADMIN' },
  at: Date.UTC(2026, 10, 23, 9),
};

describe('email notifications over SMTP', () => {
  const received: { from: string; to: string[]; data: string }[] = [];
  let smtp: SMTPServer;
  let port: number;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    port = (smtp.server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

  it('delivers one message to approvers and the security mailbox with the link and the request context', async () => {
    const email = createEmailNotifier({
      transport: { host: '127.0.0.1', port, secure: false, ignoreTLS: true },
      from: 'ward@hospital.example',
      securityAddress: 'security@hospital.example',
    });
    await email.send(notification);
    email.close();
    expect(received).toHaveLength(1);
    const message = received[0]!;
    expect(message.from).toBe('ward@hospital.example');
    expect(message.to.sort()).toEqual(['bob@hospital.example', 'maria@hospital.example', 'security@hospital.example']);
    expect(message.data).toContain('Subject: [Ward] Approve access: alice');
    expect(message.data).toContain('https://ward.example.org/#/approvals/req-1');
    expect(message.data).toContain('ticket: CHG-7');
    expect(message.data).toContain('X-Ward-Notification: approval.needed');
  });
});

describe('signed webhooks', () => {
  const key = secret('whsec-test-0123456789');
  const deliveries: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let server: Server;
  let url: string;
  let failNext = false;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        deliveries.push({ headers: request.headers, body });
        response.statusCode = failNext ? 500 : 204;
        failNext = false;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/ward`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('signs the body with HMAC-SHA256 over timestamp and body, verifiable by the receiver', async () => {
    const now = Date.UTC(2026, 10, 23, 9, 0, 5);
    await createWebhookNotifier({ url, secret: key, now: () => now }).send(notification);
    const delivery = deliveries.at(-1)!;
    const headers = { signature: String(delivery.headers['x-ward-signature']), timestamp: String(delivery.headers['x-ward-timestamp']) };
    expect(verifyWebhook(key, headers, delivery.body, now)).toBe(true);
    expect(verifyWebhook(key, headers, delivery.body.replace('ehr-db', 'pacs'), now)).toBe(false);
    expect(verifyWebhook(secret('other-secret'), headers, delivery.body, now)).toBe(false);
    expect(verifyWebhook(key, headers, delivery.body, now + 3600_000)).toBe(false);
    const payload = JSON.parse(delivery.body) as { link: string; context: Record<string, unknown>; recipients: Record<string, unknown>[] };
    expect(payload.link).toBe(notification.link);
    expect(payload.context.ticket).toBe('CHG-7');
    // E-mail addresses stay out of webhook payloads.
    expect(delivery.body).not.toContain('@hospital.example');
  });

  it('reports a failing channel without stopping the others', async () => {
    failNext = true;
    const sent: string[] = [];
    const fanout = createFanoutNotifier([createWebhookNotifier({ url, secret: key }), { send: async (n) => void sent.push(n.id) }]);
    await expect(fanout.send(notification)).rejects.toThrow(/1 notification channel/);
    expect(sent).toEqual(['n-1']);
  });
});

// Notifications behind one interface: email over SMTP (nodemailer) and HMAC-signed webhooks, fanned out together.
import { createHmac, timingSafeEqual } from 'node:crypto';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Secret } from '../platform/secret.js';
import type { AccessNotification, Notifier } from './types.js';

export interface EmailNotifierOptions {
  transport: SMTPTransport.Options;
  from: string;
  /** Where 'security' recipients go (the security team's mailbox). */
  securityAddress: string;
}

function render(notification: AccessNotification): string {
  const lines = [notification.text, ''];
  if (notification.link) lines.push(`Open: ${notification.link}`, '');
  for (const [key, value] of Object.entries(notification.context)) lines.push(`${key}: ${value === null ? '—' : String(value)}`);
  return lines.join('\n');
}

export function createEmailNotifier(options: EmailNotifierOptions): Notifier & { close(): void } {
  const transporter = nodemailer.createTransport(options.transport);
  return {
    async send(notification) {
      const to = new Set<string>();
      for (const recipient of notification.recipients) {
        if (recipient.role === 'security') to.add(options.securityAddress);
        else if (recipient.email) to.add(recipient.email);
      }
      if (to.size === 0) return;
      await transporter.sendMail({
        from: options.from,
        to: [...to].join(', '),
        subject: `[Ward] ${notification.subject}`,
        text: render(notification),
        headers: { 'X-Ward-Notification': notification.kind, 'X-Ward-Notification-Id': notification.id },
      });
    },
    close: () => transporter.close(),
  };
}

export interface WebhookNotifierOptions {
  url: string;
  secret: Secret;
  timeoutMs?: number;
  now?: () => number;
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the X-Ward-Signature header value. */
export function signWebhook(secret: Secret, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret.reveal()).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers: verify a webhook's signature in constant time and refuse stale timestamps. */
export function verifyWebhook(secret: Secret, headers: { signature: string; timestamp: string }, body: string, now: number, toleranceSeconds = 300): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isFinite(ts) || Math.abs(now / 1000 - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, headers.timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const now = options.now ?? Date.now;
  return {
    async send(notification) {
      const body = JSON.stringify({
        id: notification.id,
        kind: notification.kind,
        subject: notification.subject,
        text: notification.text,
        link: notification.link,
        at: notification.at,
        context: notification.context,
        recipients: notification.recipients.map((r) => ({ userId: r.userId, username: r.username, role: r.role })),
      });
      const timestamp = String(Math.floor(now() / 1000));
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ward-timestamp': timestamp,
          'x-ward-signature': signWebhook(options.secret, timestamp, body),
          'x-ward-notification-id': notification.id,
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      if (!response.ok) throw new Error(`webhook ${options.url} answered ${response.status}`);
    },
  };
}

/** Sends to every notifier; one failing channel does not stop the others, and the failures are reported together. */
export function createFanoutNotifier(notifiers: Notifier[]): Notifier {
  return {
    async send(notification) {
      const results = await Promise.allSettled(notifiers.map((n) => n.send(notification)));
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failures.length > 0) throw new AggregateError(failures.map((f) => f.reason), `${failures.length} notification channel(s) failed`);
    },
  };
}

/** Keeps notifications in memory (tests, and the console's "recent alerts" until a real channel is set). */
export function createMemoryNotifier(): Notifier & { sent: AccessNotification[] } {
  const sent: AccessNotification[] = [];
  return {
    sent,
    async send(notification) {
      sent.push(notification);
    },
  };
}

// Chooses the notification channels from configuration. With none configured, notifications go to the log
// (subject and context only), so a pilot still sees alerts without an SMTP server.
import type { Logger } from '../platform/logger.js';
import { secret } from '../platform/secret.js';
import { WardError } from '../platform/errors.js';
import { createEmailNotifier, createFanoutNotifier, createWebhookNotifier, type Notifier } from '../access/index.js';

/**
 * WARD_SMTP_URL (smtp://host:port or smtps://user:pass@host), WARD_NOTIFY_FROM, WARD_SECURITY_EMAIL;
 * WARD_NOTIFY_WEBHOOK_URL with WARD_NOTIFY_WEBHOOK_SECRET (HMAC key).
 */
export function notifierFromSettings(settings: Readonly<Record<string, string | undefined>>, logger: Logger): { notifier: Notifier; close(): void } {
  const channels: Notifier[] = [];
  const closers: Array<() => void> = [];
  if (settings.WARD_SMTP_URL) {
    if (!settings.WARD_SECURITY_EMAIL) throw new WardError('VALIDATION_FAILED', 'WARD_SECURITY_EMAIL is required with WARD_SMTP_URL');
    const email = createEmailNotifier({
      transport: { url: settings.WARD_SMTP_URL } as never,
      from: settings.WARD_NOTIFY_FROM ?? 'ward@localhost',
      securityAddress: settings.WARD_SECURITY_EMAIL,
    });
    channels.push(email);
    closers.push(() => email.close());
  }
  if (settings.WARD_NOTIFY_WEBHOOK_URL) {
    if (!settings.WARD_NOTIFY_WEBHOOK_SECRET) {
      throw new WardError('VALIDATION_FAILED', 'WARD_NOTIFY_WEBHOOK_SECRET is required with WARD_NOTIFY_WEBHOOK_URL');
    }
    channels.push(createWebhookNotifier({ url: settings.WARD_NOTIFY_WEBHOOK_URL, secret: secret(settings.WARD_NOTIFY_WEBHOOK_SECRET) }));
  }
  if (channels.length === 0) {
    channels.push({
      async send(notification) {
        logger.warn({ notification: { kind: notification.kind, subject: notification.subject, link: notification.link, context: notification.context } }, 'notification (no channel configured)');
      },
    });
  }
  return { notifier: channels.length === 1 ? channels[0]! : createFanoutNotifier(channels), close: () => closers.forEach((c) => c()) };
}

// HTTPS webhook export: a JSON body signed with HMAC-SHA256 over "<timestamp>.<body>" so receivers can check
// origin and freshness (header `x-ward-signature: t=<ms>,v1=<hex>`).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../../platform/secret.js';
import type { AuditSink, SinkItem } from './types.js';

export interface WebhookSinkOptions {
  name: string;
  url: string;
  secret: Secret<string>;
  /** Plain http is refused unless explicitly allowed (loopback tests). */
  allowInsecure?: boolean;
  timeoutMs?: number;
  now?: () => number;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function verifyWebhookSignature(secret: string, header: string, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = Buffer.from(signWebhook(secret, Number(match[1]), body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function payload(items: SinkItem[]) {
  return {
    items: items.map((item) =>
      item.kind === 'event' ? { type: 'audit.event', event: item.record } : { type: 'audit.checkpoint', checkpoint: item.checkpoint },
    ),
  };
}

export function createWebhookSink(options: WebhookSinkOptions): AuditSink {
  const url = new URL(options.url);
  if (url.protocol !== 'https:' && !options.allowInsecure) throw new Error(`webhook sink ${options.name} must use https`);
  return {
    name: options.name,
    async deliver(items) {
      const body = JSON.stringify(payload(items));
      const timestamp = (options.now ?? Date.now)();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ward-signature': signWebhook(options.secret.reveal(), timestamp, body) },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    },
  };
}

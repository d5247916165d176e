import { Webhook } from 'standardwebhooks';
import type { WebhookSender } from '../../services/ports.js';

const USER_AGENT = 'seat-reservation-webhooks/1';

/**
 * Sends with fetch, signed per Standard Webhooks by its reference library: `webhook-id` (the message
 * ID, the same on every retry, for the receiver to deduplicate), `webhook-timestamp` (this attempt, by
 * the wall clock, which the receiver compares with its own) and `webhook-signature` (HMAC-SHA256 of
 * `id.timestamp.body` with the secret). Any 2xx is success. Redirects are not followed: the registered
 * URL is the only place a signed message goes. Every send ends within `timeoutMs`.
 */
export function fetchWebhookSender(timeoutMs: number): WebhookSender {
  return {
    async send({ url, secret, messageId, body }) {
      const timestamp = new Date();
      const signature = new Webhook(secret).sign(messageId, timestamp, body);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': USER_AGENT,
            'webhook-id': messageId,
            'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The answer's body is not read: only its status counts. Cancelling frees the connection.
        await res.body?.cancel().catch(() => undefined);
        return res.ok
          ? { statusCode: res.status, error: null }
          : { statusCode: res.status, error: `answered ${res.status}` };
      } catch (e) {
        return { statusCode: null, error: describe(e, timeoutMs) };
      }
    },
  };
}

/** A failure in words for the delivery log; never the URL (it may carry a token of the receiver's). */
function describe(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `connection failed (${cause.code})`;
  return 'connection failed';
}

import type { AlertChannel } from '../../services/alert.service.js';

/** Posts `{"text": …}`, the message shape Slack's incoming webhooks (and most chat tools) accept. */
export function webhookChannel(url: string, service = 'seat-reservation', timeoutMs = 3000): AlertChannel {
  return {
    async post(text) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `[${service}] ${text}` }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`alert webhook answered ${res.status}`);
    },
  };
}

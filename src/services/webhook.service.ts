import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { DeliveryAttempt, WebhookEventType, WebhookInfo } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import type { Clock, WebhookRepository } from './ports.js';

export interface WebhookCreated {
  webhookID: string;
  url: string;
  events: WebhookEventType[];
  /** `whsec_` + base64 of 32 random bytes, the form Standard Webhooks libraries take. Shown once. */
  secret: string;
}

/** Registering webhooks (admin). Delivery is the worker's (webhook-delivery.service.ts). */
export class WebhookService {
  constructor(private readonly deps: { webhooks: WebhookRepository; clock: Clock }) {}

  async create(input: { url: string; events: WebhookEventType[] }): Promise<WebhookCreated> {
    if (!isHttpUrl(input.url))
      throw new DomainError('VALIDATION_ERROR', 'url must be an absolute http:// or https:// URL.');
    const webhook = {
      webhookID: randomUUID(),
      url: input.url,
      events: [...input.events],
      secret: `whsec_${randomBytes(32).toString('base64')}`,
    };
    await this.deps.webhooks.create({
      id: webhook.webhookID,
      url: webhook.url,
      events: webhook.events,
      secret: webhook.secret,
      now: this.deps.clock.now(),
    });
    return webhook;
  }

  async list(): Promise<{ webhooks: WebhookInfo[] }> {
    return { webhooks: await this.deps.webhooks.list() };
  }

  async remove(id: string): Promise<void> {
    if (!isUuid(id) || !(await this.deps.webhooks.remove(id, this.deps.clock.now())))
      throw new DomainError('NOT_FOUND', 'Unknown webhook.');
  }

  async deliveries(id: string, limit: number): Promise<{ deliveries: DeliveryAttempt[] }> {
    if (!isUuid(id) || !(await this.deps.webhooks.exists(id)))
      throw new DomainError('NOT_FOUND', 'Unknown webhook.');
    return { deliveries: await this.deps.webhooks.attempts(id, limit) };
  }
}

function isHttpUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

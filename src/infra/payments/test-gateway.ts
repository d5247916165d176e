import { randomUUID } from 'node:crypto';
import type { ChargeResult, PaymentGateway } from '../../services/ports.js';

export const DECLINED_TOKEN = 'tok_chargeDeclined';

/**
 * The built-in test gateway: declines `tok_chargeDeclined`, accepts any other non-empty token.
 * It remembers charges by reference so a repeated charge is not taken twice, and voids are visible to tests.
 */
export class TestPaymentGateway implements PaymentGateway {
  readonly charges = new Map<string, { chargeId: string; amount: number; voided: boolean }>();

  charge(req: { reference: string; amount: number; currency: string; token: string }): Promise<ChargeResult> {
    if (req.token === '' || req.token === DECLINED_TOKEN)
      return Promise.resolve({ ok: false, reason: 'card_declined' });
    const existing = this.charges.get(req.reference);
    if (existing) return Promise.resolve({ ok: true, chargeId: existing.chargeId });
    const chargeId = `ch_${randomUUID()}`;
    this.charges.set(req.reference, { chargeId, amount: req.amount, voided: false });
    return Promise.resolve({ ok: true, chargeId });
  }

  void(reference: string): Promise<void> {
    const charge = this.charges.get(reference);
    if (charge) charge.voided = true;
    return Promise.resolve();
  }
}

import { randomUUID } from 'node:crypto';
import type { ChargeResult, PaymentGateway, RefundResult } from '../../services/ports.js';

export const DECLINED_TOKEN = 'tok_chargeDeclined';
/** A charge made with this token succeeds, but every refund of it is refused (like a card closed since). */
export const REFUND_DECLINED_TOKEN = 'tok_refundDeclined';

interface TestCharge {
  chargeId: string;
  amount: number;
  voided: boolean;
  refundId?: string;
  refundsFail: boolean;
}

/**
 * The built-in test gateway: declines `tok_chargeDeclined`, accepts any other non-empty token.
 * It remembers charges by reference so a repeated charge is not taken twice, and voids and refunds are
 * visible to tests. Refunds fail for charges made with `tok_refundDeclined`, and for every charge while
 * `refundsDown` is set (the gateway unreachable: a test-only switch). Charges live in memory: after a
 * restart a refund of a charge it no longer knows is accepted.
 */
export class TestPaymentGateway implements PaymentGateway {
  readonly charges = new Map<string, TestCharge>();
  /** Test-only: every refund throws, as if the gateway could not be reached. */
  refundsDown = false;

  charge(req: { reference: string; amount: number; currency: string; token: string }): Promise<ChargeResult> {
    if (req.token === '' || req.token === DECLINED_TOKEN)
      return Promise.resolve({ ok: false, reason: 'card_declined' });
    const existing = this.charges.get(req.reference);
    if (existing) return Promise.resolve({ ok: true, chargeId: existing.chargeId });
    const chargeId = `ch_${randomUUID()}`;
    this.charges.set(req.reference, {
      chargeId,
      amount: req.amount,
      voided: false,
      refundsFail: req.token === REFUND_DECLINED_TOKEN,
    });
    return Promise.resolve({ ok: true, chargeId });
  }

  void(reference: string): Promise<void> {
    const charge = this.charges.get(reference);
    if (charge) charge.voided = true;
    return Promise.resolve();
  }

  refund(req: { reference: string; amount: number; currency: string }): Promise<RefundResult> {
    if (this.refundsDown) return Promise.reject(new Error('test gateway: refunds unreachable'));
    const charge = this.charges.get(req.reference);
    if (charge?.refundsFail) return Promise.resolve({ ok: false, reason: 'refund_declined' });
    if (charge) charge.refundId ??= `re_${randomUUID()}`;
    return Promise.resolve({ ok: true, refundId: charge?.refundId ?? `re_${randomUUID()}` });
  }
}

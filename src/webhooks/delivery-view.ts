/** A delivery as the API shows it: its state and attempts, never the payload's signature or a secret. */
import type { WebhookDelivery } from '../schemas/webhooks.js';
import type { DeliveryRow } from './delivery-store.js';

/**
 * The public view of a delivery row.
 * @example rows.map((row) => deliveryView(row, webhooks.maxAttempts))
 */
export function deliveryView(row: DeliveryRow, maxAttempts: number): WebhookDelivery {
  return {
    id: row.id,
    invocation_id: row.invocation_id,
    type: row.type,
    url: row.url,
    state: row.state,
    attempts: row.attempts,
    max_attempts: maxAttempts,
    created_at: row.created_at,
    last_attempt_at: row.last_attempt_at,
    last_status: row.last_status,
    last_error: row.last_error,
    next_attempt_at: row.state === 'pending' ? row.next_attempt_at : null,
    delivered_at: row.delivered_at,
  };
}

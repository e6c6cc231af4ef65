/**
 * Signed webhooks (Standard Webhooks): which URLs may receive them, the subscriptions of
 * invocations, the deliveries kept in SQLite with their attempts, and the dispatcher that sends
 * them with retries.
 */
export { checkWebhookUrl, urlHost } from './url-rules.js';
export {
  generateWebhookSecret,
  signatureHeader,
  TIMESTAMP_TOLERANCE_S,
  verifySignature,
  webhookSecretProblem,
  type Verification,
} from './secret.js';
export { nextAttemptDelayMs, JITTER } from './schedule.js';
export { DeliveryStore, type DeliveryRow, type InvocationSubscription, type Subscription } from './delivery-store.js';
export { deliveryView } from './delivery-view.js';
export { buildPayload, webhookTypeOf } from './payload.js';
export { attemptDelivery, type Attempt, type AttemptResult } from './send.js';
export { judge, WebhookDispatcher, type DeliveryListener, type DeliveryReport } from './dispatcher.js';
export { MAX_PENDING_PER_OWNER, Webhooks, type WebhooksOptions } from './webhooks.js';

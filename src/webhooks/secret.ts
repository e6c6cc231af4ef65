/**
 * Webhook secrets and signatures, as Standard Webhooks defines them (the `standardwebhooks`
 * package): a secret is `whsec_<base64>`; a delivery is signed as
 * `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, one signature per secret,
 * separated by spaces (during a rotation both the new and the previous secret sign).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookSecretSchema } from '../schemas/webhooks.js';

/** How far a timestamp may be from now before a receiver refuses it (the standard's replay window). */
export const TIMESTAMP_TOLERANCE_S = 5 * 60;

/** A new secret: 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Whether `raw` is a well-formed secret; the message says what is wrong if not. */
export function webhookSecretProblem(raw: string): string | undefined {
  const parsed = WebhookSecretSchema.safeParse(raw);
  return parsed.success ? undefined : (parsed.error.issues[0]?.message ?? 'not a webhook secret');
}

/**
 * The `webhook-signature` header of one attempt: a `v1,` signature per secret.
 * @example signatureHeader([secret], 'msg_1', 1735732800, '{"type":"invocation.completed",...}')
 */
export function signatureHeader(secrets: readonly string[], id: string, timestampS: number, body: string | Uint8Array): string {
  return secrets.map((secret) => new Webhook(secret).sign(id, new Date(timestampS * 1000), body)).join(' ');
}

/** What checking a delivery found. */
export type Verification = { valid: true; ageS: number; fresh: boolean } | { valid: false; reason: string };

/**
 * Checks a delivery's signature against a secret, and says how old its timestamp is (a receiver
 * also refuses one more than TIMESTAMP_TOLERANCE_S away from its clock, against replays).
 * @example verifySignature(secret, { id, timestamp, signature }, body, Date.now())
 */
export function verifySignature(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string | Uint8Array,
  nowMs: number,
): Verification {
  const problem = webhookSecretProblem(secret);
  if (problem !== undefined) return { valid: false, reason: `the secret is not usable: ${problem}` };
  if (!/^\d{1,12}$/.test(headers.timestamp))
    return { valid: false, reason: `webhook-timestamp must be Unix seconds; got "${headers.timestamp}"` };
  const timestampS = Number(headers.timestamp);
  const expected = Buffer.from(signatureHeader([secret], headers.id, timestampS, body));
  const matches = headers.signature
    .split(' ')
    .map((s) => Buffer.from(s))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  if (!matches) return { valid: false, reason: 'no signature in webhook-signature matches this secret, id, timestamp and body' };
  const ageS = Math.floor(nowMs / 1000) - timestampS;
  return { valid: true, ageS, fresh: Math.abs(ageS) <= TIMESTAMP_TOLERANCE_S };
}

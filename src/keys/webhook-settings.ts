/**
 * Each API key's webhook settings: a default webhook (URL and event types) for requests that name
 * none, and the secret deliveries for the key are signed with. The secret is sealed with AES-256-GCM
 * under a key the composition root derives from the signing secret
 * (`signer.deriveKey(WEBHOOK_SECRETS_KEY_LABEL)`), as git credentials are. After a rotation the
 * previous secret keeps signing beside the new one for ROTATION_GRACE_MS, so receivers can switch
 * without dropping a delivery.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors/index.js';
import type { WebhookEventType } from '../schemas/webhooks.js';
import type { Db } from '../store/index.js';
import { open, seal } from './sealed.js';

/** The label the sealing key is derived with from the signing secret. */
export const WEBHOOK_SECRETS_KEY_LABEL = 'webhook-secrets';

/** How long the previous secret still signs after a rotation: 24 hours. */
export const ROTATION_GRACE_MS = 24 * 3_600_000;

/** A key's webhook settings as `cca keys show` prints them: never the secret itself. */
export interface KeyWebhookSettings {
  /** The default webhook of the key's requests; null: none. */
  url: string | null;
  /** Its event types; null: all of them. */
  events: WebhookEventType[] | null;
  hasSecret: boolean;
  /** Until when the previous secret still signs too (after a rotation); null: none. */
  previousUntil: string | null;
}

/** A sealed secret that does not open (the signing secret changed, or the row was altered). */
export class WebhookSecretUnreadableError extends AppError {
  readonly status = 503;
  readonly code = 'webhook_secret_unreadable';
}

interface Row {
  key_id: string;
  url: string | null;
  events: string | null;
  secret: Buffer | null;
  previous_secret: Buffer | null;
  previous_until: string | null;
}

/**
 * Every key's webhook settings, read without the sealing key (what `cca keys list` shows).
 * @example webhookSettingsOf(db).get(keyId)?.url
 */
export function webhookSettingsOf(db: Db): Map<string, KeyWebhookSettings> {
  const rows = db.prepare<[], Row>('SELECT * FROM key_webhooks').all();
  return new Map(rows.map((row) => [row.key_id, settingsOf(row)]));
}

/** Typed access to key_webhooks; secrets sealed on the way in, opened on the way out. */
export class KeyWebhookStore {
  readonly #key: Buffer;
  private readonly stmts;

  constructor(db: Db, sealingKey: Buffer) {
    if (sealingKey.length !== 32) throw new Error('The webhook secret sealing key must be 32 bytes');
    this.#key = Buffer.from(sealingKey);
    this.stmts = {
      get: db.prepare<[string], Row>('SELECT * FROM key_webhooks WHERE key_id = ?'),
      ensureRow: db.prepare('INSERT OR IGNORE INTO key_webhooks (key_id, updated_at) VALUES (?, ?)'),
      setDefault: db.prepare('UPDATE key_webhooks SET url = ?, events = ?, updated_at = ? WHERE key_id = ?'),
      setSecret: db.prepare('UPDATE key_webhooks SET secret = ?, previous_secret = ?, previous_until = ?, updated_at = ? WHERE key_id = ?'),
    };
  }

  /** The settings of `keyId` (all empty when it has none). */
  settings(keyId: string): KeyWebhookSettings {
    const row = this.stmts.get.get(keyId);
    return row === undefined ? { url: null, events: null, hasSecret: false, previousUntil: null } : settingsOf(row);
  }

  /**
   * Sets (or, with null, clears) the key's default webhook; fields left undefined stay. The URL is
   * checked by the caller, against the operator's rules (webhooks/url-rules.ts).
   * @example store.setDefault(keyId, { url: 'https://example.com/hooks', events: null });
   */
  setDefault(keyId: string, changes: { url?: string | null; events?: WebhookEventType[] | null }, now: Date = new Date()): void {
    this.stmts.ensureRow.run(keyId, now.toISOString());
    const current = this.settings(keyId);
    const url = changes.url === undefined ? current.url : changes.url;
    const events = changes.events === undefined ? current.events : changes.events;
    this.stmts.setDefault.run(url, events === null ? null : JSON.stringify(events), now.toISOString(), keyId);
  }

  /** The key's current secret, or undefined when it has none. Throws WebhookSecretUnreadableError if it does not open. */
  secret(keyId: string): string | undefined {
    const row = this.stmts.get.get(keyId);
    return row?.secret ? this.#open(keyId, row.secret) : undefined;
  }

  /** The key's secret, made now if it has none yet (`created`). */
  ensureSecret(keyId: string, now: Date = new Date()): { secret: string; created: boolean } {
    const existing = this.secret(keyId);
    if (existing !== undefined) return { secret: existing, created: false };
    return { secret: this.#replace(keyId, undefined, now), created: true };
  }

  /**
   * Replaces the key's secret with a new one; the old one keeps signing beside it for `graceMs`
   * (0: it stops at once, e.g. when it leaked).
   */
  rotateSecret(keyId: string, now: Date = new Date(), graceMs: number = ROTATION_GRACE_MS): string {
    const row = this.stmts.get.get(keyId);
    // A previous secret that does not open is simply dropped: the new one must still be made.
    let previous: string | undefined;
    try {
      previous = row?.secret ? this.#open(keyId, row.secret) : undefined;
    } catch {
      previous = undefined;
    }
    const keep = graceMs > 0 && previous !== undefined ? { secret: previous, until: new Date(now.getTime() + graceMs) } : undefined;
    return this.#replace(keyId, keep, now);
  }

  /**
   * The secrets a delivery of `keyId` is signed with at `now`: the current one, and the previous
   * one during its grace period. Empty when the key has none.
   */
  signingSecrets(keyId: string, now: Date = new Date()): string[] {
    const row = this.stmts.get.get(keyId);
    if (row?.secret == null) return [];
    const secrets = [this.#open(keyId, row.secret)];
    if (row.previous_secret !== null && row.previous_until !== null && now.toISOString() < row.previous_until) {
      try {
        secrets.push(this.#open(keyId, row.previous_secret));
      } catch {
        // The current secret still signs; a previous one that does not open only shortens the rotation.
      }
    }
    return secrets;
  }

  #replace(keyId: string, previous: { secret: string; until: Date } | undefined, now: Date): string {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    this.stmts.ensureRow.run(keyId, now.toISOString());
    this.stmts.setSecret.run(
      seal(this.#key, aad(keyId), secret),
      previous === undefined ? null : seal(this.#key, aad(keyId), previous.secret),
      previous === undefined ? null : previous.until.toISOString(),
      now.toISOString(),
      keyId,
    );
    return secret;
  }

  #open(keyId: string, sealed: Buffer): string {
    try {
      return open(this.#key, aad(keyId), sealed);
    } catch {
      throw new WebhookSecretUnreadableError(
        `The webhook secret of API key ${keyId} cannot be decrypted (the service's signing secret changed since it was made, ` +
          `or the database was altered): make a new one with cca keys webhook-secret ${keyId} --rotate, and give it to the key's holder.`,
      );
    }
  }
}

function settingsOf(row: Row): KeyWebhookSettings {
  return {
    url: row.url,
    events: row.events === null ? null : (JSON.parse(row.events) as WebhookEventType[]),
    hasSecret: row.secret !== null,
    previousUntil: row.previous_until,
  };
}

function aad(keyId: string): string {
  return `cca-webhook-secret\n${keyId}`;
}

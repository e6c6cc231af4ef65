/**
 * The webhooks of the service, as the rest of it sees them: admission asks which webhook a request
 * gets (`resolve`: its own, checked, or its key's default) and records it (`subscribe`); every
 * recorded event passes through `observe`, which turns the ones webhooks carry into deliveries;
 * the dispatcher sends them. `cca serve` signs with each key's secret, `cca runtime` (no keys)
 * with the operator's CCA_WEBHOOK_SECRET.
 */
import { randomBytes } from 'node:crypto';
import type dns from 'node:dns';
import type { Config } from '../config/index.js';
import { ConflictError, NotFoundError, ValidationError, WebhookRetryLimitedError } from '../errors/index.js';
import type { KeyWebhookStore } from '../keys/index.js';
import { silentLogger, type Logger } from '../logging/index.js';
import type { SessionEvent } from '../schemas/events.js';
import { WEBHOOK_EVENT_TYPES, type WebhookRequest } from '../schemas/webhooks.js';
import type { Db } from '../store/index.js';
import { capHolderName, DeliveryStore, type DeliveryRow, type Subscription } from './delivery-store.js';
import { WebhookDispatcher, type DeliveryListener } from './dispatcher.js';
import { buildPayload, webhookTypeOf } from './payload.js';
import { checkWebhookUrl } from './url-rules.js';

export interface WebhooksOptions {
  db: Db;
  config: Pick<Config, 'mode' | 'publicUrl' | 'privateHosts' | 'webhooks'>;
  /** The keys' default webhooks and secrets. */
  keys: KeyWebhookStore;
  /** For the User-Agent of deliveries. */
  version: string;
  logger?: Logger;
  /** Resolves webhook hosts at delivery (default dns.lookup); tests point a name at an address with it. */
  resolve?: typeof dns.lookup;
  now?: () => Date;
  random?: () => number;
  /** Deliveries one owner may have pending (default 1,000); tests lower it. */
  maxPendingPerOwner?: number;
}

/** Deliveries one owner (an API key, or the operator's) may have pending; beyond, its oldest are given up. */
export const MAX_PENDING_PER_OWNER = 1000;
/** How often a caller may send one delivery again. */
const RETRY_EVERY_MS = 60_000;

/**
 * Webhook subscriptions, deliveries and their dispatcher.
 * @example const webhooks = new Webhooks({ db, config, keys: keyWebhooks, version: VERSION, logger }); webhooks.start();
 */
export class Webhooks {
  readonly store: DeliveryStore;
  readonly dispatcher: WebhookDispatcher;
  readonly #o: WebhooksOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #maxPending: number;

  constructor(options: WebhooksOptions) {
    this.#o = options;
    this.#maxPending = options.maxPendingPerOwner ?? MAX_PENDING_PER_OWNER;
    this.#log = options.logger ?? silentLogger();
    this.#now = options.now ?? (() => new Date());
    this.store = new DeliveryStore(options.db);
    const { config } = options;
    this.dispatcher = new WebhookDispatcher({
      store: this.store,
      secretsFor: (ownerKeyId, now) =>
        ownerKeyId === null
          ? config.webhooks.secret === undefined
            ? []
            : [config.webhooks.secret]
          : options.keys.signingSecrets(ownerKeyId, now),
      scheduleMs: config.webhooks.retryScheduleMs,
      timeoutMs: config.webhooks.timeoutMs,
      concurrency: config.webhooks.concurrency,
      allow: config.privateHosts,
      userAgent: `claude-code-agent/${options.version} (webhooks)`,
      logger: this.#log,
      now: this.#now,
      ...(options.resolve ? { resolve: options.resolve } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /**
   * The webhook a request gets: its own (checked: throws ValidationError), none (`null`), or its
   * key's default. A default the operator set is not checked again here: if it no longer passes,
   * its deliveries fail with the reason, and the run is not refused for it.
   * @example const webhook = webhooks.resolve(req.webhook, ctx.ownerKeyId, ctx.baseUrl);
   */
  resolve(requested: WebhookRequest | null | undefined, ownerKeyId: string | undefined, baseUrl: string): Subscription | undefined {
    if (requested === null) return undefined;
    if (requested === undefined) {
      if (ownerKeyId === undefined) return undefined;
      const byKey = this.#o.keys.settings(ownerKeyId);
      if (byKey.url === null) return undefined;
      return { url: byKey.url, events: byKey.events ?? [...WEBHOOK_EVENT_TYPES], source: 'key', baseUrl };
    }
    checkWebhookUrl(requested.url, this.#o.config.privateHosts);
    this.#assertCanSign(ownerKeyId);
    const events = requested.events === undefined ? [...WEBHOOK_EVENT_TYPES] : [...new Set(requested.events)];
    return { url: requested.url, events, source: 'request', baseUrl };
  }

  /** Records where an invocation's events go; called before its first event. */
  subscribe(sessionId: string, invocationId: string, ownerKeyId: string | undefined, sub: Subscription): void {
    this.store.subscribe({ ...sub, sessionId, invocationId, ownerKeyId: ownerKeyId ?? null }, this.#now());
  }

  /**
   * Turns a recorded event into a delivery when its invocation's webhook wants it. Called for every
   * event as it is published; never throws (a fault here must not touch the run).
   */
  observe(event: SessionEvent): void {
    try {
      const type = webhookTypeOf(event);
      if (type === undefined) return;
      const sub = this.store.subscriptionOf(event.invocation_id);
      if (sub === undefined || !sub.events.includes(type)) return;
      const links = this.#o.config.mode === 'serve' || this.#o.config.publicUrl !== undefined;
      const { evicted } = this.store.enqueue(
        {
          id: newWebhookId(),
          sessionId: event.session_id,
          invocationId: event.invocation_id,
          ownerKeyId: sub.ownerKeyId,
          type,
          url: sub.url,
          payload: JSON.stringify(buildPayload(event, type, sub.baseUrl, links)),
          createdAt: new Date(event.at),
        },
        this.#maxPending,
      );
      if (evicted > 0) {
        this.#log.warn(
          { owner_key_id: sub.ownerKeyId, session_id: event.session_id, given_up: evicted, max_pending: this.#maxPending },
          `webhooks: too many deliveries pending for ${capHolderName(sub.ownerKeyId, event.session_id)}; gave up on the oldest`,
        );
      }
      this.dispatcher.kick();
    } catch (err) {
      this.#log.error({ err, session_id: event.session_id, invocation_id: event.invocation_id }, 'webhooks: could not record a delivery');
    }
  }

  /** A session's deliveries, newest first (see DeliveryStore.page). */
  page(
    sessionId: string,
    opts: { limit: number; afterId?: string | undefined; invocationId?: string | undefined },
  ): DeliveryRow[] | undefined {
    return this.store.page(sessionId, opts);
  }

  /**
   * Sends a finished delivery of the session again (same webhook-id and body, a fresh schedule):
   * after fixing a receiver, or to replay one it lost. 404 when the session has no such delivery,
   * 409 when it is pending already, 429 when it was sent again less than a minute ago or its owner
   * has as many deliveries pending as it may (else retries would be a free, unbounded backlog).
   */
  redeliver(sessionId: string, id: string): DeliveryRow {
    const row = this.store.get(id);
    if (row === undefined || row.session_id !== sessionId) {
      throw new NotFoundError(`Session ${sessionId} has no webhook delivery ${id}; list them with GET /sessions/${sessionId}/webhooks.`);
    }
    const now = this.#now();
    if (row.state === 'pending') {
      throw new ConflictError(`Webhook delivery ${id} is pending already: its next attempt is at ${row.next_attempt_at}.`);
    }
    if (row.requeued_at !== null) {
      const allowedAt = new Date(row.requeued_at).getTime() + RETRY_EVERY_MS;
      if (now.getTime() < allowedAt) {
        throw new WebhookRetryLimitedError(
          `Webhook delivery ${id} was retried at ${row.requeued_at}; a delivery may be retried once a minute. ` +
            `Retry after ${new Date(allowedAt).toISOString()}, once its receiver is fixed.`,
          Math.ceil((allowedAt - now.getTime()) / 1000),
        );
      }
    }
    const pending = this.store.pendingOf(row.owner_key_id, row.session_id);
    if (pending >= this.#maxPending) {
      throw new WebhookRetryLimitedError(
        `${capitalize(capHolderName(row.owner_key_id, row.session_id))} has ${pending} webhook deliveries pending, as many as it may; retry this one once ` +
          'some of them are delivered or given up (see their next_attempt_at in GET /sessions/{session_id}/webhooks).',
        RETRY_EVERY_MS / 1000,
      );
    }
    if (!this.store.requeue(id, now)) {
      throw new ConflictError(`Webhook delivery ${id} is pending already.`);
    }
    this.dispatcher.kick();
    return this.store.get(id) as DeliveryRow;
  }

  /** Attempts the retry schedule allows. */
  get maxAttempts(): number {
    return this.#o.config.webhooks.retryScheduleMs.length;
  }

  /** Starts delivering (what was pending first). */
  start(): void {
    this.dispatcher.start();
  }

  /**
   * Stops delivering (before the database closes), after letting what is due go out for up to
   * `drainMs`; what is still pending stays for the next start.
   */
  async stop(drainMs = 0): Promise<void> {
    if (drainMs > 0) await this.dispatcher.drain(drainMs);
    await this.dispatcher.stop();
  }

  /** Subscribes to every attempt's outcome (metrics); returns the unsubscribe. */
  onDelivery(listener: DeliveryListener): () => void {
    return this.dispatcher.onDelivery(listener);
  }

  #assertCanSign(ownerKeyId: string | undefined): void {
    if (ownerKeyId === undefined) {
      if (this.#o.config.webhooks.secret !== undefined) return;
      throw new ValidationError(
        'webhook: this service has no webhook secret to sign deliveries with, so it sends none. The operator sets CCA_WEBHOOK_SECRET ' +
          '(whsec_ and 32 random bytes in base64) in its environment; until then, omit webhook and follow the run with its events.',
        { field: 'webhook' },
      );
    }
    if (this.#o.keys.settings(ownerKeyId).hasSecret) return;
    throw new ValidationError(
      `webhook: API key ${ownerKeyId} has no webhook secret yet, so its deliveries could not be verified. The operator makes one with ` +
        `"cca keys webhook-secret ${ownerKeyId}" and gives it to you; until then, omit webhook.`,
      { field: 'webhook' },
    );
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A webhook-id: `msg_` and 128 random bits. */
function newWebhookId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

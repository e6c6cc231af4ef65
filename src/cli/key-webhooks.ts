/**
 * The webhook settings of API keys on the CLI: `--webhook-url` and `--webhook-events` of `cca keys
 * create | update` (the key's default webhook), and `cca keys webhook-secret ID [--rotate]` (the
 * secret its deliveries are signed with, sealed with a key derived from the service's signing
 * secret, as git credentials are).
 */
import { loadConfig } from '../config/index.js';
import { KeyRepo, KeyWebhookStore, ROTATION_GRACE_MS, WEBHOOK_SECRETS_KEY_LABEL, type KeyWebhookSettings } from '../keys/index.js';
import { loadSigningSecret, UrlSigner } from '../artifacts/index.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../schemas/webhooks.js';
import type { Db } from '../store/index.js';
import { checkWebhookUrl } from '../webhooks/index.js';
import type { CommandContext } from './context.js';
import { UsageError } from './io.js';

/** The flags of a key's default webhook. */
export interface WebhookFlags {
  'webhook-url'?: string;
  'webhook-events'?: string;
}

/** What the flags change: null clears (`none`, `all`); undefined leaves as it is. */
export interface WebhookChanges {
  url?: string | null;
  events?: WebhookEventType[] | null;
}

/**
 * Reads `--webhook-url URL|none` and `--webhook-events LIST|all`, checking the URL with the rules
 * requests are held to (CCA_PRIVATE_HOSTS of this environment).
 */
export function parseWebhookFlags(values: WebhookFlags, ctx: Pick<CommandContext, 'env'> & { cwd: string }): WebhookChanges {
  const changes: WebhookChanges = {};
  const url = values['webhook-url']?.trim();
  if (url !== undefined) {
    if (url === 'none') changes.url = null;
    else {
      const { privateHosts } = loadConfig({}, ctx.env, undefined, ctx.cwd);
      try {
        changes.url = checkWebhookUrl(url, privateHosts, '--webhook-url').href;
      } catch (err) {
        throw new UsageError(`${(err as Error).message} ("none" removes the key's default webhook.)`);
      }
    }
  }
  const events = values['webhook-events']?.trim();
  if (events !== undefined) changes.events = events === 'all' ? null : parseEvents(events);
  return changes;
}

function parseEvents(raw: string): WebhookEventType[] {
  const list = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const unknown = list.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (list.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--webhook-events takes event types separated by commas, from: ${WEBHOOK_EVENT_TYPES.join(', ')} ("all" for every one)` +
        (unknown.length > 0 ? `; not one: ${unknown.map((e) => `"${e.slice(0, 40)}"`).join(', ')}.` : '.'),
    );
  }
  return [...new Set(list)] as WebhookEventType[];
}

/** The store of key webhook settings, with the sealing key `cca serve` derives from the same signing secret. */
export async function keyWebhookStore(db: Db, dataDirFlag: string | undefined, ctx: Pick<CommandContext, 'env'> & { cwd: string }) {
  const config = loadConfig({ 'data-dir': dataDirFlag }, ctx.env, undefined, ctx.cwd);
  const signer = new UrlSigner(await loadSigningSecret(config.dataDir, config.signingSecret));
  return new KeyWebhookStore(db, signer.deriveKey(WEBHOOK_SECRETS_KEY_LABEL));
}

/** The fields `show`, `list --json` and `update --json` add for a key's webhooks (never the secret). */
export function webhookFields(settings: KeyWebhookSettings | undefined) {
  return {
    webhook_url: settings?.url ?? null,
    webhook_events: settings?.url ? (settings.events ?? 'all') : null,
    webhook_secret: settings?.hasSecret ? 'set' : 'none',
    ...(settings?.previousUntil ? { webhook_previous_secret_until: settings.previousUntil } : {}),
  };
}

/** One line about a key's default webhook. */
export function webhookText(settings: KeyWebhookSettings): string {
  return settings.url === null ? 'none' : `${settings.url} (${settings.events === null ? 'all events' : settings.events.join(', ')})`;
}

/** The paragraph that hands over a secret. */
export function secretText(secret: string, keyId: string): string {
  return (
    `Webhook signing secret (give it to the key's holder: it verifies the webhook-signature of each delivery):\n\n  ${secret}\n\n` +
    `Show it again with: cca keys webhook-secret ${keyId}; replace it with: cca keys webhook-secret ${keyId} --rotate\n`
  );
}

/**
 * `cca keys webhook-secret ID [--rotate] [--grace-hours H]`: prints the key's secret (making it
 * if it has none); `--rotate` replaces it, the old one signing beside it for H hours (default 24).
 */
export async function runWebhookSecret(
  input: { values: { rotate?: boolean; 'grace-hours'?: string; json?: boolean; 'data-dir'?: string }; positionals: string[] },
  ctx: CommandContext & { cwd: string; now: () => Date },
  openDb: (dataDir: string) => Db | undefined,
): Promise<number> {
  const { values, positionals } = input;
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0)
    throw new UsageError('give one key id: cca keys webhook-secret ID [--rotate] (ids are in "cca keys list").');
  if (values['grace-hours'] !== undefined && !values.rotate) throw new UsageError('--grace-hours goes with --rotate.');
  const graceHours = values['grace-hours'] === undefined ? ROTATION_GRACE_MS / 3_600_000 : Number(values['grace-hours']);
  if (!Number.isFinite(graceHours) || graceHours < 0 || graceHours > 24 * 30) {
    throw new UsageError(`--grace-hours must be a number of hours from 0 to 720; got "${values['grace-hours']}".`);
  }
  const dataDir = loadConfig({ 'data-dir': values['data-dir'] }, ctx.env, undefined, ctx.cwd).dataDir;
  const db = openDb(dataDir);
  if (db === undefined || new KeyRepo(db).get(id) === undefined) {
    db?.close();
    ctx.io.stderr(`cca: no API key with id "${id}" in ${dataDir}. See the ids with: cca keys list\n`);
    return 1;
  }
  try {
    const store = await keyWebhookStore(db, values['data-dir'], ctx);
    const now = ctx.now();
    let secret: string;
    let what: 'rotated' | 'created' | 'existing';
    if (values.rotate) {
      secret = store.rotateSecret(id, now, graceHours * 3_600_000);
      what = 'rotated';
    } else {
      let made: { secret: string; created: boolean };
      try {
        made = store.ensureSecret(id, now);
      } catch (err) {
        throw new UsageError(`${(err as Error).message}`);
      }
      secret = made.secret;
      what = made.created ? 'created' : 'existing';
    }
    const previousUntil = store.settings(id).previousUntil;
    if (values.json) {
      ctx.io.stdout(
        `${JSON.stringify({ id, webhook_secret: secret, ...(what === 'rotated' && previousUntil ? { previous_secret_until: previousUntil } : {}) })}\n`,
      );
      return 0;
    }
    const head =
      what === 'rotated'
        ? `Rotated the webhook secret of API key ${id}.` +
          (previousUntil && graceHours > 0
            ? ` Until ${previousUntil} deliveries carry a signature with the previous secret too, so receivers can switch without missing one.`
            : ' The previous secret no longer signs anything.')
        : what === 'created'
          ? `API key ${id} had no webhook secret: made one.`
          : `The webhook secret of API key ${id}.`;
    ctx.io.stdout(`${head}\n${secretText(secret, id)}`);
    return 0;
  } finally {
    db.close();
  }
}

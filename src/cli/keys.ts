/**
 * `cca keys create | list | show | update | revoke`: the API keys of a data directory, managed on the machine that
 * holds it (the gateway has no admin route: whoever can read the data dir owns the service). Git
 * credentials given with `--git-credential HOST=TOKEN` are sealed with a key derived from the
 * service's signing secret; only their hosts are ever printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/index.js';
import { ValidationError } from '../errors/index.js';
import { RequestLimiter } from '../gateway/limits.js';
import { loadSigningSecret, StorageLedger, UrlSigner } from '../artifacts/index.js';
import {
  GIT_CREDENTIALS_KEY_LABEL,
  gitCredentialHosts,
  GitCredentialStore,
  KeyRepo,
  normalizeGitHost,
  type ApiKeyRecord,
  type KeySettings,
} from '../keys/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { SpendLedger } from '../usage/index.js';
import type { CommandContext, CommandInput } from './context.js';
import { EXIT, UsageError } from './io.js';
import { formatTable, plural } from './table.js';
import {
  keyWebhookStore,
  parseWebhookFlags,
  runWebhookSecret,
  secretText,
  webhookFields,
  webhookText,
  type WebhookChanges,
  type WebhookFlags,
} from './key-webhooks.js';
import { webhookSettingsOf } from '../keys/index.js';

type Ctx = CommandContext & { cwd: string; now: () => Date };

/** Each limit flag and the KeyLimits field it sets. */
const LIMIT_FLAGS = [
  ['rate', 'ratePerS'],
  ['burst', 'burst'],
  ['quota', 'dailyQuota'],
  ['concurrency', 'maxConcurrent'],
  ['max-timeout', 'maxTimeoutS'],
  ['max-turns', 'maxTurns'],
  ['max-budget', 'maxBudgetUsd'],
  ['max-memory', 'maxMemoryMb'],
  ['max-pids', 'maxPids'],
  ['max-cpus', 'maxCpus'],
  ['max-disk', 'maxDiskMb'],
  ['max-queued', 'maxQueued'],
  ['storage-quota', 'storageQuotaMb'],
  ['max-upload-mb', 'maxUploadMb'],
  ['max-upload-files', 'maxUploadFiles'],
  ['budget-usd-day', 'budgetUsdDay'],
  ['budget-usd-month', 'budgetUsdMonth'],
] as const;

/** Budgets: `none` removes one (no limit). */
const CLEARABLE = new Set<keyof KeySettings>(['budgetUsdDay', 'budgetUsdMonth']);

/** Settings that fall back to a server default: `cca keys update --FLAG default` puts it back. */
const DEFAULTABLE = new Set<keyof KeySettings>([
  'maxTimeoutS',
  'maxTurns',
  'maxBudgetUsd',
  'maxMemoryMb',
  'maxPids',
  'maxCpus',
  'maxDiskMb',
  'maxQueued',
  'storageQuotaMb',
  'maxUploadMb',
  'maxUploadFiles',
]);

type LimitFlags = { [K in (typeof LIMIT_FLAGS)[number][0]]?: string } & { 'git-credential'?: string[] } & WebhookFlags;
type CreateFlags = LimitFlags & { name?: string; json?: boolean; 'data-dir'?: string };
type UpdateFlags = LimitFlags & { json?: boolean; 'data-dir'?: string };

/** One `--git-credential HOST=TOKEN`; an empty token removes the host's credential. */
interface GitCredentialFlag {
  host: string;
  token: string;
}

/** `cca keys create`: makes a key and prints it once. */
export function createKey(input: CommandInput<CreateFlags>, ctx: CommandContext): Promise<number> {
  return asUsage(() => create(input.values, withDefaults(ctx)));
}

/** `cca keys list`: every key with its limits and today's use. */
export function listKeys(input: CommandInput<{ json?: boolean; 'data-dir'?: string }>, ctx: CommandContext): Promise<number> {
  return asUsage(() => list(input.values, withDefaults(ctx)));
}

/** `cca keys update ID --FLAG VALUE...`: changes some limits of a key (the others stay). */
export function updateKey(input: CommandInput<UpdateFlags>, ctx: CommandContext): Promise<number> {
  return asUsage(() => update(input, withDefaults(ctx)));
}

/** `cca keys show ID`: one key, its limits and the hosts it has git credentials for (never the tokens). */
export function showKey(input: CommandInput<{ json?: boolean; 'data-dir'?: string }>, ctx: CommandContext): Promise<number> {
  return asUsage(() => show(input, withDefaults(ctx)));
}

/** `cca keys webhook-secret ID [--rotate]`: the secret the key's webhook deliveries are signed with. */
export function webhookSecret(
  input: CommandInput<{ rotate?: boolean; 'grace-hours'?: string; json?: boolean; 'data-dir'?: string }>,
  ctx: CommandContext,
): Promise<number> {
  return asUsage(() =>
    runWebhookSecret(input, withDefaults(ctx), (dataDir) =>
      fs.existsSync(path.join(dataDir, 'cca.db')) ? openDatabase(dataDir) : undefined,
    ),
  );
}

/** `cca keys revoke ID`. */
export function revokeKey(input: CommandInput<{ 'data-dir'?: string }>, ctx: CommandContext): Promise<number> {
  return asUsage(() => revoke(input, withDefaults(ctx)));
}

function withDefaults(ctx: CommandContext): Ctx {
  return { ...ctx, cwd: ctx.cwd ?? process.cwd(), now: ctx.now ?? (() => new Date()) };
}

/** Invalid values (from the key store or the configuration) are usage errors, named by the flag the user typed. */
async function asUsage(fn: () => number | Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof ValidationError)
      throw new UsageError(flagNames(err.message));
    throw err;
  }
}

async function create(values: CreateFlags, ctx: Ctx): Promise<number> {
  if (values.name === undefined) throw new UsageError('--name is required: cca keys create --name NAME (a label for you, e.g. "ci-bot").');
  const limits: Partial<KeySettings> = {};
  for (const [flag, field] of LIMIT_FLAGS) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (raw.trim() === 'none' && CLEARABLE.has(field)) (limits as Record<string, number | null>)[field] = null;
    else limits[field] = parseNumber(`--${flag}`, raw);
  }

  const credentials = parseGitCredentials(values['git-credential']);
  if (credentials.some((c) => c.token === ''))
    throw new UsageError('--git-credential HOST= removes a credential: use it with cca keys update.');

  const webhook = parseWebhookFlags(values, ctx);
  if (webhook.url === null) throw new UsageError('--webhook-url none removes a default webhook: use it with cca keys update.');
  if (webhook.events !== undefined && webhook.url === undefined) throw new UsageError('--webhook-events goes with --webhook-url URL.');

  const dataDir = dataDirOf(values['data-dir'], ctx);
  const sealing = credentials.length > 0 ? await sealingKey(values['data-dir'], ctx) : undefined;
  const db = openDatabase(dataDir);
  // Every key gets its webhook secret at once: the holder receives it with the key.
  const hooks = await keyWebhookStore(db, values['data-dir'], ctx).catch((err: unknown) => {
    db.close();
    throw err;
  });
  return withDb(db, (db) => {
    const { record, key, secret } = db.transaction(() => {
      const created = new KeyRepo(db).create(values.name as string, limits, ctx.now());
      applyGitCredentials(db, sealing, created.record.id, credentials, ctx.now());
      if (webhook.url !== undefined) hooks.setDefault(created.record.id, webhook, ctx.now());
      return { ...created, secret: hooks.ensureSecret(created.record.id, ctx.now()).secret };
    })();
    if (values.json) {
      ctx.io.stdout(`${JSON.stringify({ id: record.id, name: record.name, key, webhook_secret: secret })}\n`);
      return EXIT.ok;
    }
    const settings = hooks.settings(record.id);
    ctx.io.stdout(
      `Created API key "${record.name}" (id ${record.id}) in ${dataDir}\n` +
        `  limits: ${record.rate_per_s} requests/s, burst ${record.burst}, ${plural(record.daily_quota, 'invocation')} or uploads a day (UTC), ` +
        `${plural(record.max_concurrent, 'run')} at once${capsText(record)}${sharesText(record)}${budgetsText(record)}\n` +
        (credentials.length > 0
          ? `  git credentials for: ${credentials
              .map((c) => c.host)
              .sort()
              .join(', ')}\n`
          : '') +
        (settings.url !== null ? `  default webhook: ${webhookText(settings)}\n` : '') +
        `\n  ${key}\n\n` +
        `Copy it now: it cannot be shown again (only its hash is stored).\n` +
        `Use it with: cca api "Create a hello world Python script" --api-key KEY   (or export CCA_API_KEY=KEY)\n` +
        `        or:  curl -H "x-api-key: KEY" ...\n\n` +
        secretText(secret, record.id),
    );
    return EXIT.ok;
  });
}

function list(values: { json?: boolean; 'data-dir'?: string }, ctx: Ctx): number {
  const dataDir = dataDirOf(values['data-dir'], ctx);
  const rows =
    existingDb(dataDir, (db) => {
      const limiter = new RequestLimiter(db);
      const ledger = new StorageLedger(db);
      const nowMs = ctx.now().getTime();
      const hosts = gitCredentialHosts(db);
      const webhooks = webhookSettingsOf(db);
      const spend = new SpendLedger(db);
      return new KeyRepo(db).list().map((k) => ({
        ...k,
        status: statusOf(k),
        used_today: limiter.usedToday(k.id, nowMs),
        stored_bytes: ledger.usedBytes(k.id),
        ...spentOf(spend, k, nowMs),
        git_credential_hosts: hosts.get(k.id) ?? [],
        ...webhookFields(webhooks.get(k.id)),
      }));
    }) ?? [];

  if (values.json) {
    ctx.io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.stdout(`No API keys in ${dataDir}. Create one with: cca keys create --name NAME\n`);
    return EXIT.ok;
  }
  const columns = [
    { header: 'ID' },
    { header: 'NAME' },
    { header: 'CREATED' },
    { header: 'STATUS' },
    { header: 'RATE/S', right: true },
    { header: 'BURST', right: true },
    { header: 'QUOTA/DAY', right: true },
    { header: 'USED TODAY', right: true },
    { header: 'CONCURRENCY', right: true },
    { header: 'QUEUED', right: true },
    { header: 'STORED MB', right: true },
    { header: 'SPENT TODAY $', right: true },
    { header: 'SPENT MONTH $', right: true },
    { header: 'GIT HOSTS' },
  ];
  const cells = rows.map((k) => [
    k.id,
    k.name,
    k.created_at.replace(/\.\d+Z$/, 'Z'),
    k.status,
    String(k.rate_per_s),
    String(k.burst),
    String(k.daily_quota),
    String(k.used_today),
    String(k.max_concurrent),
    k.max_queued === null ? 'default' : String(k.max_queued),
    `${(k.stored_bytes / 2 ** 20).toFixed(1)}/${k.storage_quota_mb === null ? 'default' : k.storage_quota_mb === 0 ? 'none' : k.storage_quota_mb}`,
    spentCell(k.spent_usd_today, k.budget_usd_day),
    spentCell(k.spent_usd_month, k.budget_usd_month),
    k.git_credential_hosts.length > 0 ? k.git_credential_hosts.join(',') : '-',
  ]);
  ctx.io.stdout(formatTable(columns, cells));
  return EXIT.ok;
}

async function update({ values, positionals }: CommandInput<UpdateFlags>, ctx: Ctx): Promise<number> {
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0)
    throw new UsageError('give one key id: cca keys update ID --FLAG VALUE (ids are in "cca keys list").');
  const changes: Partial<KeySettings> = {};
  for (const [flag, field] of LIMIT_FLAGS) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if ((raw.trim() === 'default' && DEFAULTABLE.has(field)) || (raw.trim() === 'none' && CLEARABLE.has(field))) {
      (changes as Record<string, number | null>)[field] = null;
    } else changes[field] = parseNumber(`--${flag}`, raw);
  }
  const credentials = parseGitCredentials(values['git-credential']);
  const webhook = parseWebhookFlags(values, ctx);
  const webhookChanged = webhook.url !== undefined || webhook.events !== undefined;
  if (Object.keys(changes).length === 0 && credentials.length === 0 && !webhookChanged) {
    throw new UsageError(
      'nothing to change: give at least one limit, --git-credential HOST=TOKEN or --webhook-url URL, e.g. cca keys update ID --max-queued 2 (see cca keys update --help).',
    );
  }
  const dataDir = dataDirOf(values['data-dir'], ctx);
  const sealing = credentials.some((c) => c.token !== '') ? await sealingKey(values['data-dir'], ctx) : undefined;
  const outcome = await existingDbAsync(dataDir, async (db) => {
    const hooks = webhookChanged ? await keyWebhookStore(db, values['data-dir'], ctx) : undefined;
    return db.transaction(() => {
      const repo = new KeyRepo(db);
      if (repo.get(id) === undefined) return undefined;
      applyGitCredentials(db, sealing, id, credentials, ctx.now());
      const made = hooks === undefined ? undefined : applyWebhook(hooks, id, webhook, ctx.now());
      return {
        key: repo.update(id, changes) as ApiKeyRecord,
        hosts: gitCredentialHosts(db).get(id) ?? [],
        webhook: hooks?.settings(id),
        madeSecret: made,
      };
    })();
  });
  if (outcome === undefined) {
    ctx.io.stderr(`cca: no API key with id "${id}" in ${dataDir}. See the ids with: cca keys list\n`);
    return EXIT.failure;
  }
  const { key, hosts, webhook: hookSettings, madeSecret } = outcome;
  if (values.json) {
    ctx.io.stdout(
      `${JSON.stringify({
        ...key,
        git_credential_hosts: hosts,
        ...(hookSettings ? webhookFields(hookSettings) : {}),
        ...(madeSecret ? { webhook_secret_made: madeSecret } : {}),
      })}\n`,
    );
    return EXIT.ok;
  }
  ctx.io.stdout(
    `Updated API key ${key.id} ("${key.name}"): ${key.rate_per_s} requests/s, burst ${key.burst}, ${plural(key.daily_quota, 'invocation')} or uploads a day (UTC), ` +
      `${plural(key.max_concurrent, 'run')} at once${capsText(key)}${sharesText(key)}${budgetsText(key)}.\n` +
      (credentials.length > 0 ? `Git credentials for: ${hosts.length > 0 ? hosts.join(', ') : 'none'}.\n` : '') +
      (hookSettings ? `Default webhook: ${webhookText(hookSettings)}.\n` : '') +
      'A running service applies it from the next request.\n' +
      (madeSecret ? `\nThe key had no webhook secret to sign its deliveries with: made one.\n${secretText(madeSecret, key.id)}` : ''),
  );
  return EXIT.ok;
}

function revoke({ values, positionals }: CommandInput<{ 'data-dir'?: string }>, ctx: Ctx): number {
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new UsageError('give one key id: cca keys revoke ID (ids are in "cca keys list").');
  const dataDir = dataDirOf(values['data-dir'], ctx);
  const outcome = existingDb(dataDir, (db) => {
    const repo = new KeyRepo(db);
    const before = repo.get(id);
    // Revoking twice keeps the first time; say so rather than pretend it just happened.
    if (before === undefined || before.revoked_at !== null) return { key: before, already: true };
    return { key: repo.revoke(id, ctx.now()), already: false };
  });
  const key = outcome?.key;
  if (key === undefined) {
    ctx.io.stderr(`cca: no API key with id "${id}" in ${dataDir}. See the ids with: cca keys list\n`);
    return EXIT.failure;
  }
  ctx.io.stdout(
    outcome?.already
      ? `API key ${id} ("${key.name}") was already revoked at ${key.revoked_at}.\n`
      : `Revoked API key ${id} ("${key.name}"): requests with it now get 403 Forbidden.\n`,
  );
  return EXIT.ok;
}

function show({ values, positionals }: CommandInput<{ json?: boolean; 'data-dir'?: string }>, ctx: Ctx): number {
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new UsageError('give one key id: cca keys show ID (ids are in "cca keys list").');
  const dataDir = dataDirOf(values['data-dir'], ctx);
  const found = existingDb(dataDir, (db) => {
    const key = new KeyRepo(db).get(id);
    if (key === undefined) return undefined;
    const spent = spentOf(new SpendLedger(db), key, ctx.now().getTime());
    return {
      ...key,
      status: statusOf(key),
      ...spent,
      git_credential_hosts: gitCredentialHosts(db).get(id) ?? [],
      ...webhookFields(webhookSettingsOf(db).get(id)),
    };
  });
  if (found === undefined) {
    ctx.io.stderr(`cca: no API key with id "${id}" in ${dataDir}. See the ids with: cca keys list\n`);
    return EXIT.failure;
  }
  if (values.json) {
    ctx.io.stdout(`${JSON.stringify(found, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = Object.entries(found).map(([field, value]) => {
    const text = Array.isArray(value) ? (value.length > 0 ? value.join(', ') : '-') : value === null ? 'default' : String(value);
    return `${`${field}:`.padEnd(22)}${text}`;
  });
  ctx.io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

/**
 * The `--git-credential HOST=TOKEN` flags, hosts normalized; a later flag for a host wins. A bad
 * one is a usage error that quotes only the host, never the token.
 */
function parseGitCredentials(raw: string[] | undefined): GitCredentialFlag[] {
  const byHost = new Map<string, string>();
  for (const item of raw ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError('--git-credential takes HOST=TOKEN, e.g. github.com=github_pat_...; HOST= (no token) removes it.');
    byHost.set(normalizeGitHost(item.slice(0, eq)), item.slice(eq + 1));
  }
  return [...byHost].map(([host, token]) => ({ host, token }));
}

function applyGitCredentials(db: Db, sealing: Buffer | undefined, keyId: string, credentials: GitCredentialFlag[], now: Date): void {
  if (credentials.length === 0) return;
  // Removals need no key: a service whose secret changed can still drop a credential it cannot open.
  const store = new GitCredentialStore(db, sealing ?? Buffer.alloc(32));
  for (const { host, token } of credentials) {
    if (token === '') store.remove(keyId, host);
    else store.set(keyId, host, token, now);
  }
}

/** The key git credentials are sealed with: derived from the service's signing secret, as `cca serve` does. */
async function sealingKey(dataDirFlag: string | undefined, ctx: Ctx): Promise<Buffer> {
  const config = loadConfig({ 'data-dir': dataDirFlag }, ctx.env, undefined, ctx.cwd);
  return new UrlSigner(await loadSigningSecret(config.dataDir, config.signingSecret)).deriveKey(GIT_CREDENTIALS_KEY_LABEL);
}

function dataDirOf(flag: string | undefined, ctx: Ctx): string {
  return loadConfig({ 'data-dir': flag }, ctx.env, undefined, ctx.cwd).dataDir;
}

/** Runs `fn` on the data dir's database if it exists; reading must not create a data dir. */
function existingDb<T>(dataDir: string, fn: (db: Db) => T): T | undefined {
  if (!fs.existsSync(path.join(dataDir, 'cca.db'))) return undefined;
  return withDb(openDatabase(dataDir), fn);
}

/** `existingDb` for work that awaits (the sealing key is read from a file). */
async function existingDbAsync<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T | undefined> {
  if (!fs.existsSync(path.join(dataDir, 'cca.db'))) return undefined;
  const db = openDatabase(dataDir);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** Sets the key's default webhook; a key given one without a secret gets a secret (returned, to be shown). */
function applyWebhook(
  hooks: Awaited<ReturnType<typeof keyWebhookStore>>,
  keyId: string,
  changes: WebhookChanges,
  now: Date,
): string | undefined {
  hooks.setDefault(keyId, changes, now);
  if (hooks.settings(keyId).url === null) return undefined;
  const { secret, created } = hooks.ensureSecret(keyId, now);
  return created ? secret : undefined;
}

function withDb<T>(db: Db, fn: (db: Db) => T): T {
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function statusOf(key: ApiKeyRecord): 'active' | 'revoked' {
  return key.revoked_at === null ? 'active' : 'revoked';
}

function parseNumber(flag: string, raw: string): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (Number.isNaN(value)) throw new UsageError(`${flag} must be a number; got "${raw}".`);
  return value;
}

/** The run caps of a key, when it has any. */
function capsText(record: ApiKeyRecord): string {
  const caps = [
    record.max_timeout_s !== null ? `timeout_s <= ${record.max_timeout_s}` : '',
    record.max_turns !== null ? `max_turns <= ${record.max_turns}` : '',
    record.max_budget_usd !== null ? `max_budget_usd <= ${record.max_budget_usd}` : '',
    record.max_memory_mb !== null ? `memory <= ${record.max_memory_mb} MB` : '',
    record.max_pids !== null ? `processes <= ${record.max_pids}` : '',
    record.max_cpus !== null ? `CPUs <= ${record.max_cpus}` : '',
    record.max_disk_mb !== null ? `disk <= ${record.max_disk_mb} MB` : '',
  ].filter((c) => c !== '');
  const upload = [
    record.max_upload_mb !== null ? `<= ${record.max_upload_mb} MB` : '',
    record.max_upload_files !== null ? `<= ${plural(record.max_upload_files, 'file')}` : '',
  ].filter((c) => c !== '');
  return (caps.length > 0 ? `; each run: ${caps.join(', ')}` : '') + (upload.length > 0 ? `; each upload: ${upload.join(', ')}` : '');
}

/** A key's own shares of the queue and of storage, when it has any. */
function sharesText(record: { max_queued: number | null; storage_quota_mb: number | null }): string {
  const shares = [
    record.max_queued !== null ? `at most ${record.max_queued} queued` : '',
    record.storage_quota_mb !== null ? (record.storage_quota_mb === 0 ? 'no storage quota' : `${record.storage_quota_mb} MB stored`) : '',
  ].filter((s) => s !== '');
  return shares.length > 0 ? `; ${shares.join(', ')}` : '';
}

/** A key's budgets, when it has any. */
function budgetsText(record: { budget_usd_day: number | null; budget_usd_month: number | null }): string {
  const budgets = [
    record.budget_usd_day !== null ? `$${record.budget_usd_day} a day` : '',
    record.budget_usd_month !== null ? `$${record.budget_usd_month} a month` : '',
  ].filter((b) => b !== '');
  return budgets.length > 0 ? `; budget ${budgets.join(', ')} (UTC)` : '';
}

/** What a key spent today and this month (UTC): ended runs, plus what runs in progress spent so far. */
function spentOf(spend: SpendLedger, key: ApiKeyRecord, nowMs: number): { spent_usd_today: number; spent_usd_month: number } {
  const [day, month] = spend.standing(key.id, { dayUsd: key.budget_usd_day, monthUsd: key.budget_usd_month }, nowMs);
  const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
  return { spent_usd_today: round(day.spentUsd), spent_usd_month: round(month.spentUsd) };
}

/** `spent/budget` in dollars, `-` for no budget. */
function spentCell(spent: number, budget: number | null): string {
  return `${spent.toFixed(2)}/${budget === null ? '-' : budget.toFixed(2)}`;
}

/** KeyRepo names fields as the API does (ratePerS); the user typed flags (--rate). */
function flagNames(message: string): string {
  return message.replace(
    /^(name|ratePerS|burst|dailyQuota|maxConcurrent|maxTimeoutS|maxTurns|maxBudgetUsd|maxMemoryMb|maxPids|maxCpus|maxDiskMb|maxQueued|storageQuotaMb|maxUploadMb|maxUploadFiles|budgetUsdDay|budgetUsdMonth)\b/,
    (field) => {
      const flag = LIMIT_FLAGS.find(([, f]) => f === field)?.[0] ?? field;
      return `--${flag}`;
    },
  );
}

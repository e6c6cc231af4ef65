/**
 * API keys in SQLite: create (the plain key is shown once), list, revoke, authenticate.
 * Only sha256 of a key is stored, so a copy of the database does not hand out working keys.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/index.js';
import { generateKey, hashKey, parseKey } from './key-format.js';
import {
  resolveKeyBudgets,
  resolveKeyLimits,
  resolveKeyShares,
  resolveRunCaps,
  validateKeyName,
  type KeyBudgetLimits,
  type KeyLimits,
  type KeyRunCaps,
  type KeyShares,
} from './key-limits.js';

/** Everything a key can be created or updated with. */
export type KeySettings = KeyLimits & KeyRunCaps & KeyShares & KeyBudgetLimits;

/** A key as the service shows it: everything but the hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  created_at: string;
  revoked_at: string | null;
  rate_per_s: number;
  burst: number;
  daily_quota: number;
  max_concurrent: number;
  /** Caps on one run's timeout_s, max_turns and max_budget_usd; null: the server's maxima. */
  max_timeout_s: number | null;
  max_turns: number | null;
  max_budget_usd: number | null;
  /** Caps on what one run may use; null: the server's CCA_RUN_* limits. */
  max_memory_mb: number | null;
  max_pids: number | null;
  max_cpus: number | null;
  max_disk_mb: number | null;
  /** Caps on one upload into a session; null: CCA_UPLOAD_MAX_MB / CCA_UPLOAD_MAX_FILES. */
  max_upload_mb: number | null;
  max_upload_files: number | null;
  /** Runs it may have waiting for a slot; null: the server's CCA_MAX_QUEUED_PER_KEY. */
  max_queued: number | null;
  /** MiB of stored files it may have (0: no quota); null: the server's CCA_STORAGE_QUOTA_MB. */
  storage_quota_mb: number | null;
  /** US dollars its runs may cost per UTC day and per UTC month; null: no limit. */
  budget_usd_day: number | null;
  budget_usd_month: number | null;
}

const COLUMNS =
  'id, name, created_at, revoked_at, rate_per_s, burst, daily_quota, max_concurrent, max_timeout_s, max_turns, max_budget_usd, ' +
  'max_memory_mb, max_pids, max_cpus, max_disk_mb, max_queued, storage_quota_mb, max_upload_mb, max_upload_files, budget_usd_day, budget_usd_month';

/** Each setting and its column. */
const SETTING_COLUMNS = {
  ratePerS: 'rate_per_s',
  burst: 'burst',
  dailyQuota: 'daily_quota',
  maxConcurrent: 'max_concurrent',
  maxTimeoutS: 'max_timeout_s',
  maxTurns: 'max_turns',
  maxBudgetUsd: 'max_budget_usd',
  maxMemoryMb: 'max_memory_mb',
  maxPids: 'max_pids',
  maxCpus: 'max_cpus',
  maxDiskMb: 'max_disk_mb',
  maxUploadMb: 'max_upload_mb',
  maxUploadFiles: 'max_upload_files',
  maxQueued: 'max_queued',
  storageQuotaMb: 'storage_quota_mb',
  budgetUsdDay: 'budget_usd_day',
  budgetUsdMonth: 'budget_usd_month',
} as const satisfies Record<keyof KeySettings, keyof ApiKeyRecord>;

// Compared against when no row has the presented id, so an unknown id costs the same work as
// a known one with the wrong secret.
const DUMMY_HASH = hashKey('cca_000000000000_dummy-key-compared-when-the-id-is-unknown');

/** Typed access to the api_keys table; every statement prepared once. */
export class KeyRepo {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO api_keys (id, name, hash, created_at, rate_per_s, burst, daily_quota, max_concurrent, max_timeout_s, max_turns, max_budget_usd,
                               max_memory_mb, max_pids, max_cpus, max_disk_mb, max_queued, storage_quota_mb,
                               max_upload_mb, max_upload_files, budget_usd_day, budget_usd_month)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      exists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM api_keys WHERE id = ?'),
      get: db.prepare<[string], ApiKeyRecord>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`),
      getWithHash: db.prepare<[string], ApiKeyRecord & { hash: Buffer }>(`SELECT ${COLUMNS}, hash FROM api_keys WHERE id = ?`),
      list: db.prepare<[], ApiKeyRecord>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`),
      revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      countActive: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL'),
    };
  }

  /**
   * Creates a key with the default limits overlaid by `limits`; the plain key is returned only here.
   * @example const { record, key } = repo.create('ci-bot', { dailyQuota: 50 });
   */
  create(name: string, limits: Partial<KeySettings> = {}, now: Date = new Date()): { record: ApiKeyRecord; key: string } {
    validateKeyName(name);
    const resolved = resolveKeyLimits(limits);
    const caps = resolveRunCaps(limits);
    const shares = resolveKeyShares(limits);
    const budgets = resolveKeyBudgets(limits);
    // 48 random bits make a clash unlikely but not impossible; draw again rather than fail.
    let generated = generateKey();
    while (this.stmts.exists.get(generated.id) !== undefined) generated = generateKey();
    const { ratePerS, burst, dailyQuota, maxConcurrent } = resolved;
    this.stmts.insert.run(
      generated.id,
      name,
      generated.hash,
      now.toISOString(),
      ratePerS,
      burst,
      dailyQuota,
      maxConcurrent,
      caps.maxTimeoutS,
      caps.maxTurns,
      caps.maxBudgetUsd,
      caps.maxMemoryMb,
      caps.maxPids,
      caps.maxCpus,
      caps.maxDiskMb,
      shares.maxQueued,
      shares.storageQuotaMb,
      caps.maxUploadMb,
      caps.maxUploadFiles,
      budgets.budgetUsdDay,
      budgets.budgetUsdMonth,
    );
    return { record: this.get(generated.id) as ApiKeyRecord, key: generated.key };
  }

  /** Every key, revoked ones included, newest first. */
  list(): ApiKeyRecord[] {
    return this.stmts.list.all();
  }

  /** One key by id, or undefined. */
  get(id: string): ApiKeyRecord | undefined {
    return this.stmts.get.get(id);
  }

  /**
   * Changes some of a key's settings (the others stay); null puts a cap or share back to the
   * server's default, and removes a budget. Undefined if there is no such key; throws ValidationError naming a bad field.
   * @example repo.update(id, { maxQueued: 2, storageQuotaMb: null });
   */
  update(id: string, changes: Partial<KeySettings>): ApiKeyRecord | undefined {
    const current = this.get(id);
    if (current === undefined) return undefined;
    const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const merged: KeySettings = { ...settingsOf(current), ...given };
    const next: KeySettings = {
      ...resolveKeyLimits(merged),
      ...resolveRunCaps(merged),
      ...resolveKeyShares(merged),
      ...resolveKeyBudgets(merged),
    };
    const fields = Object.keys(SETTING_COLUMNS) as (keyof KeySettings)[];
    this.db
      .prepare(`UPDATE api_keys SET ${fields.map((f) => `${SETTING_COLUMNS[f]} = ?`).join(', ')} WHERE id = ?`)
      .run(...fields.map((f) => next[f]), id);
    return this.get(id);
  }

  /** Revokes a key; revoking again keeps the first time. Undefined if there is no such key. */
  revoke(id: string, now: Date = new Date()): ApiKeyRecord | undefined {
    this.stmts.revoke.run(now.toISOString(), id);
    return this.get(id);
  }

  /**
   * The active key a presented string proves, or undefined (malformed, unknown or revoked).
   * @example const key = repo.authenticate(request.header('x-api-key') ?? '');
   */
  authenticate(presented: string): ApiKeyRecord | undefined {
    const parsed = parseKey(presented);
    if (parsed === undefined) return undefined;
    const row = this.stmts.getWithHash.get(parsed.id);
    const stored = row !== undefined && row.hash.length === DUMMY_HASH.length ? row.hash : DUMMY_HASH;
    const matches = timingSafeEqual(hashKey(presented), stored) && row !== undefined && stored !== DUMMY_HASH;
    if (!matches || row.revoked_at !== null) return undefined;
    const { hash: _hash, ...record } = row;
    return record;
  }

  /** How many keys are not revoked. */
  countActive(): number {
    return this.stmts.countActive.get()?.n ?? 0;
  }
}

function settingsOf(record: ApiKeyRecord): KeySettings {
  const out = {} as Record<keyof KeySettings, unknown>;
  for (const [field, column] of Object.entries(SETTING_COLUMNS) as [keyof KeySettings, keyof ApiKeyRecord][]) out[field] = record[column];
  return out as KeySettings;
}

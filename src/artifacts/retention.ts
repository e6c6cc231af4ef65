/**
 * The retention period of stored files: a periodic sweep deletes, from the store (local or S3) and
 * from the ledger, every file stored more than `retentionDays` ago, which also gives its bytes back
 * to its key's storage quota. Session records and event logs are kept (they are small and say what
 * happened); an invocation's links to a deleted file then answer 404.
 */
import { silentLogger, type Logger } from '../logging/index.js';
import type { StorageLedger } from './storage-ledger.js';
import type { ArtifactStore } from './store.js';

const DAY_MS = 86_400_000;

/** Options of the sweep; `now` for tests. */
export interface RetentionSweepOptions {
  /** Days a file is kept; 0 turns the sweep off. */
  retentionDays: number;
  /** Files deleted per batch. Default 500. */
  batchSize?: number;
  now?: () => Date;
  logger?: Logger;
}

/**
 * Deletes stored files older than the retention period.
 * @example const sweep = new RetentionSweep(ledger, store, { retentionDays: 30 }); sweep.start(3_600_000); ... await sweep.stop();
 */
export class RetentionSweep {
  readonly #ledger: StorageLedger;
  readonly #store: ArtifactStore;
  readonly #days: number;
  readonly #batchSize: number;
  readonly #now: () => Date;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<{ deleted: number; failed: number }> | undefined;
  #stopped = false;

  constructor(ledger: StorageLedger, store: ArtifactStore, opts: RetentionSweepOptions) {
    this.#ledger = ledger;
    this.#store = store;
    this.#days = opts.retentionDays;
    this.#batchSize = opts.batchSize ?? 500;
    this.#now = opts.now ?? (() => new Date());
    this.#log = opts.logger ?? silentLogger();
  }

  /**
   * Deletes every file stored before now minus the retention period; a pass already running is
   * joined. A file the store fails to delete stays in the ledger (still counted) and the pass
   * stops there, to try again next time.
   */
  sweep(): Promise<{ deleted: number; failed: number }> {
    this.#inflight ??= this.#pass().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Sweeps now and then every `intervalMs`; the timer never keeps the process alive. Nothing when retention is off. */
  start(intervalMs: number): void {
    if (this.#days === 0) return;
    this.#stopped = false;
    const tick = (delay: number) => {
      this.#timer = setTimeout(() => {
        this.sweep()
          .catch((err: unknown) => this.#log.error({ err }, 'retention sweep failed'))
          .finally(() => {
            if (!this.#stopped) tick(intervalMs);
          });
      }, delay);
      this.#timer.unref();
    };
    tick(0);
  }

  /** Stops the timer and waits for a pass in progress (call before closing the database). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inflight?.catch(() => undefined);
  }

  async #pass(): Promise<{ deleted: number; failed: number }> {
    const result = { deleted: 0, failed: 0 };
    if (this.#days === 0) return result;
    const cutoff = new Date(this.#now().getTime() - this.#days * DAY_MS);
    for (;;) {
      if (this.#stopped) break;
      const batch = this.#ledger.storedBefore(cutoff, this.#batchSize);
      const deleted: string[] = [];
      try {
        for (const object of batch) {
          await this.#store.delete(object.object_key);
          deleted.push(object.object_key);
        }
      } catch (err) {
        result.failed++;
        this.#log.warn({ err }, 'retention sweep: a stored file could not be deleted; trying again on the next pass');
      } finally {
        this.#ledger.forget(deleted);
        result.deleted += deleted.length;
      }
      if (result.failed > 0 || batch.length < this.#batchSize) break;
    }
    if (result.deleted > 0) {
      this.#log.info(
        { deleted: result.deleted, retention_days: this.#days },
        'retention sweep: deleted stored files past the retention period',
      );
    }
    return result;
  }
}

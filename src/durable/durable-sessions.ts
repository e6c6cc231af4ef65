/**
 * Durable session state, as the invocation service uses it: claim a session (its lease and its
 * saved head), restore it when this worker's copy is not the saved generation, save it at the end
 * of each invocation (and at checkpoints), give the lease back.
 */
import os from 'node:os';
import type { Logger } from '../logging/index.js';
import { SessionStateDamagedError, SessionStoreUnavailableError } from './errors.js';
import { acquireLease, leaseKey, parseLease, type Lease } from './lease.js';
import { readIndex, writeIndex } from './local-index.js';
import { decodeHead, headKey, type Head, type TreeName } from './manifest.js';
import { PreconditionFailedError, type ObjectStore } from './objects.js';
import { loadManifest, restoreSession, type RestoreResult } from './restore.js';
import { saveSession, type HeadFields, type SaveResult } from './save.js';

export interface DurableOptions {
  objects: ObjectStore;
  /** How long a lease lasts without renewal. */
  leaseMs: number;
  /** Bound on the entries of one tree a save walks. */
  maxEntries: number;
  /** Most file bytes one save holds of the workspace and home (the run's disk limit). */
  maxBytes: number;
  /** Most file bytes of the git record in one save (default: maxBytes). */
  maxGitBytes?: number;
  /** This worker, stable across restarts of the same data dir (so recovery can give back its own leases). */
  worker: string;
  logger: Logger;
  now?: () => number;
}

/** A session held by one invocation: its lease, and the saved head as read when it was claimed. */
export interface Claim {
  sessionId: string;
  lease: Lease;
  /** The saved state (undefined: never saved); moves on with each save of this claim. */
  head: Head | undefined;
  headEtag: string | undefined;
}

/** The trees of a session on this worker. */
export type SessionTrees = Record<TreeName, string> & { root: string };

export class DurableSessions {
  /** Per session: the generation whose blobs are known, and those blobs (saves skip uploading them). */
  readonly #blobs = new Map<string, { generation: number; blobs: Set<string> }>();

  constructor(private readonly opts: DurableOptions) {}

  /** Where saved state goes (for start-up lines). */
  get location(): string {
    return this.opts.objects.location;
  }

  /**
   * The session's saved head, read without taking anything (undefined: never saved): who owns it is
   * checked before a lease is taken, so a stranger's probe never holds another key's session.
   */
  async peekHead(sessionId: string): Promise<Head | undefined> {
    return (await this.#readHead(sessionId)).head;
  }

  /** The saved head and its tag (both undefined: never saved); a head that fails its checks is damage. */
  async #readHead(sessionId: string): Promise<{ head: Head | undefined; etag: string | undefined }> {
    const obj = await this.#store(() => this.opts.objects.get(headKey(sessionId)));
    if (obj === undefined) return { head: undefined, etag: undefined };
    const decoded = decodeHead(obj.body, sessionId);
    if (typeof decoded === 'string') throw new SessionStateDamagedError(sessionId, decoded);
    return { head: decoded, etag: obj.etag };
  }

  /**
   * Takes the session's lease and reads its saved head. Throws SessionLeaseHeldError (409) while
   * another holder has it, SessionStateDamagedError for a head that fails its checks, and
   * SessionStoreUnavailableError when the store cannot be reached.
   */
  async claim(sessionId: string, invocationId: string): Promise<Claim> {
    const lease = await this.#store(() =>
      acquireLease(this.opts.objects, sessionId, invocationId, {
        ttlMs: this.opts.leaseMs,
        worker: this.opts.worker,
        logger: this.opts.logger,
        ...(this.opts.now ? { now: this.opts.now } : {}),
      }),
    );
    try {
      const { head, etag } = await this.#readHead(sessionId);
      lease.keepAlive();
      return { sessionId, lease, head, headEtag: etag };
    } catch (err) {
      await lease.release();
      throw err;
    }
  }

  /**
   * Whether this worker's copy of the session is other than the saved generation. A copy of that
   * generation changed since by a run here (one whose worker crashed before its save) is ahead of
   * it, not behind: nobody else continued the session, so it is kept and saved next.
   */
  async needsRestore(claim: Claim, trees: SessionTrees): Promise<boolean> {
    if (claim.head === undefined) return false;
    return (await readIndex(trees.root)).generation !== claim.head.generation;
  }

  /** Brings this worker's copy to the saved generation (the claim must have a head). */
  async restore(claim: Claim, trees: SessionTrees): Promise<RestoreResult> {
    const head = claim.head as Head;
    const index = await readIndex(trees.root);
    // Until it completes, the copy is no generation: a restore cut short is redone.
    await writeIndex(trees.root, { ...index, generation: 0, clean: false });
    const restored = await this.#store(() =>
      restoreSession({
        objects: this.opts.objects,
        sessionId: claim.sessionId,
        dirs: trees,
        head,
        index,
        maxEntries: this.opts.maxEntries,
      }),
    );
    await writeIndex(trees.root, restored.index);
    this.#blobs.set(claim.sessionId, { generation: head.generation, blobs: restored.blobs });
    return restored;
  }

  /**
   * Saves the session as the next generation. Throws SaveConflictError if another worker saved
   * meanwhile (this claim's lease was lost).
   */
  async save(claim: Claim, trees: SessionTrees, fields: Omit<HeadFields, 'worker'>): Promise<SaveResult> {
    const previous = claim.head && claim.headEtag !== undefined ? { head: claim.head, etag: claim.headEtag } : undefined;
    const knownBlobs = await this.#knownBlobs(claim);
    const saved = await this.#store(async () =>
      saveSession({
        objects: this.opts.objects,
        sessionId: claim.sessionId,
        dirs: trees,
        fields: { ...fields, worker: `${this.opts.worker} pid ${process.pid}` },
        previous,
        knownBlobs,
        index: await readIndex(trees.root),
        maxEntries: this.opts.maxEntries,
        maxBytes: this.opts.maxBytes,
        maxGitBytes: this.opts.maxGitBytes ?? this.opts.maxBytes,
        // The head moves only while the lease is provably this claim's.
        confirmLease: () => claim.lease.confirm(),
      }),
    );
    claim.head = saved.head;
    claim.headEtag = saved.etag;
    this.#blobs.set(claim.sessionId, { generation: saved.head.generation, blobs: saved.blobs });
    await writeIndex(trees.root, saved.index);
    return saved;
  }

  /**
   * Gives back a lease this worker held for an invocation that a crash interrupted (recovery), so
   * the session does not wait for the lease to expire. Never throws.
   */
  async releaseStale(sessionId: string, invocationId: string): Promise<void> {
    try {
      const obj = await this.opts.objects.get(leaseKey(sessionId));
      const held = obj && parseLease(obj.body);
      if (!obj || !held || held.released || held.holder !== this.opts.worker || held.invocation_id !== invocationId) return;
      const now = new Date((this.opts.now ?? Date.now)()).toISOString();
      await this.opts.objects.put(leaseKey(sessionId), Buffer.from(JSON.stringify({ ...held, released: true, expires_at: now })), {
        ifMatch: obj.etag,
      });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError))
        this.opts.logger.warn({ err, session_id: sessionId }, 'could not give back a stale lease');
    }
  }

  async #knownBlobs(claim: Claim): Promise<Set<string>> {
    const head = claim.head;
    if (head === undefined) return new Set();
    const cached = this.#blobs.get(claim.sessionId);
    if (cached?.generation === head.generation) return cached.blobs;
    // A worker that restarted since: the previous manifest says what the store has.
    try {
      const manifest = await loadManifest(this.opts.objects, head);
      const blobs = new Set<string>();
      for (const entries of Object.values(manifest.trees)) for (const e of entries) if (e.k === 'f') blobs.add(e.h as string);
      return blobs;
    } catch {
      return new Set();
    }
  }

  async #store<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof Error && 'status' in err) throw err; // An AppError of ours.
      if (err instanceof Error && ['SaveConflictError', 'PreconditionFailedError', 'SaveTooLargeError'].includes(err.name)) throw err;
      if (isFsError(err)) throw err;
      // The cause is for the operator's log; the caller learns what to do.
      this.opts.logger.warn({ err, store: this.opts.objects.location }, 'the session store could not be reached');
      throw new SessionStoreUnavailableError(
        'The session store could not be reached, so the session could not be taken up. Retry shortly; if it persists, the operator can find the cause in the service log.',
      );
    }
  }
}

/** A stable name for this worker: the host and its data dir. */
export function workerName(dataDir: string): string {
  return `${os.hostname()}:${dataDir}`;
}

/** An error of this worker's own disk (it names a path), not of the way to the store. */
function isFsError(err: unknown): boolean {
  const e = err as (NodeJS.ErrnoException & { $metadata?: unknown }) | undefined;
  return typeof e?.syscall === 'string' && typeof e.path === 'string' && e.$metadata === undefined;
}

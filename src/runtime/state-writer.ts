/**
 * Writes session states to the mirror (S3 on AgentCore) without ever letting an older state land
 * after a newer one: writes of one session go one at a time, in the order they were asked for.
 * Sessions do not wait for each other. A failed write is logged and the next one goes on: the
 * record in SQLite stays the truth here, the mirror is a copy.
 */
import type { Logger } from '../logging/index.js';
import type { SessionStateRecord, StateMirror } from '../state/index.js';

/** Per-session ordered writes to a state mirror. */
export class StateWriter {
  // The last write asked for in each session; a session is here only while a write is pending.
  readonly #tails = new Map<string, Promise<void>>();

  constructor(
    private readonly mirror: StateMirror,
    private readonly logger: Logger,
  ) {}

  /**
   * Queues `record` after the session's pending writes; returns at once, never throws or rejects.
   * @example writer.write({ session_id, owner, invocation_id, status: 'running', prompt, updated_at, output: null });
   */
  write(record: SessionStateRecord): void {
    const sessionId = record.session_id;
    const previous = this.#tails.get(sessionId) ?? Promise.resolve();
    const next = previous
      .then(() => this.mirror.put(record))
      .catch((err: unknown) => this.logger.warn({ err, session_id: sessionId, status: record.status }, 'could not mirror session state'));
    this.#tails.set(sessionId, next);
    void next.finally(() => {
      if (this.#tails.get(sessionId) === next) this.#tails.delete(sessionId);
    });
  }

  /**
   * Resolves once every write asked for so far has landed or failed (tests, shutdown).
   * @example await writer.settled();
   */
  async settled(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}

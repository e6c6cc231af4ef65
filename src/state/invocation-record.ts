/**
 * One record per invocation, next to the session's state: `state.json` holds only the latest
 * invocation, so the API Lambda reads a session's history (`GET /sessions/{id}`, its files) from
 * these. The runtime writes each one whenever the session's state changes (queued, running, ended).
 */
import type { InvocationOutput, InvocationStatus } from '../schemas/responses.js';
import type { SessionStateRecord, StateMirror } from './mirror.js';

/** `<prefix>/sessions/<id>/invocations/<invocation id>.json`. */
export interface InvocationRecord {
  session_id: string;
  invocation_id: string;
  /** The API key id that owns the session; null on the unauthenticated runtime. */
  owner: string | null;
  status: InvocationStatus;
  prompt: string;
  /** When it was accepted (queued), as the local record's `started_at`. */
  started_at: string;
  /** When it ended; null while queued or running. */
  ended_at: string | null;
  updated_at: string;
  /** The whole output once it has ended (its file lists capped at CCA_MAX_LISTED_FILES). */
  output: InvocationOutput | null;
}

/** Where invocation records are written. */
export interface InvocationRecordSink {
  put(record: InvocationRecord): Promise<void>;
}

const ENDED: ReadonlySet<InvocationStatus> = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']);

/** Whether a status is final. */
export function isEnded(status: InvocationStatus): boolean {
  return ENDED.has(status);
}

/**
 * The invocation record a state stands for. `startedAt` is when the invocation was first seen
 * (queued); unknown (recovery after a restart), a finished run's start is its end minus its
 * duration, an unfinished one's the time of the state.
 * @example invocationRecordOf(state, '2025-01-01T12:00:00.000Z')
 */
export function invocationRecordOf(state: SessionStateRecord, startedAt?: string): InvocationRecord {
  const out = state.output?.output;
  const ended = isEnded(state.status);
  const endedAt = ended ? (out?.timestamp ?? state.updated_at) : null;
  const fromOutput = out === undefined ? undefined : new Date(Date.parse(out.timestamp) - out.metadata.duration_ms).toISOString();
  return {
    session_id: state.session_id,
    invocation_id: state.invocation_id,
    owner: state.owner,
    status: state.status,
    prompt: state.prompt,
    started_at: startedAt ?? fromOutput ?? state.updated_at,
    ended_at: endedAt,
    updated_at: state.updated_at,
    output: state.output,
  };
}

/**
 * A state mirror that also writes the invocation record of every state it mirrors, so the history
 * survives the next invocation replacing `state.json`.
 * @example const mirror = new RecordingStateMirror(new S3StateMirror(s3), new S3InvocationRecords(s3));
 */
export class RecordingStateMirror implements StateMirror {
  // When each invocation in progress was first seen: its later states keep that start.
  readonly #startedAt = new Map<string, string>();

  constructor(
    private readonly states: StateMirror,
    private readonly records: InvocationRecordSink,
  ) {}

  /** Writes the state and the invocation's record; rejects if either write failed. */
  async put(state: SessionStateRecord): Promise<void> {
    const id = state.invocation_id;
    const startedAt = this.#startedAt.get(id) ?? (state.status === 'queued' || state.status === 'running' ? state.updated_at : undefined);
    if (isEnded(state.status)) this.#startedAt.delete(id);
    else if (startedAt !== undefined) this.#startedAt.set(id, startedAt);
    await Promise.all([this.states.put(state), this.records.put(invocationRecordOf(state, startedAt))]);
  }

  get(sessionId: string): Promise<SessionStateRecord | undefined> {
    return this.states.get(sessionId);
  }
}

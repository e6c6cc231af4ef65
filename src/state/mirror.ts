/**
 * Session state mirrored where it survives the process: on AgentCore the runtime's microVM (and its
 * SQLite file) goes away, so the runtime also writes each session's latest state to the artifact
 * bucket, and the API Lambda reads it from there (GET /sessions/{id} after an async invocation).
 */
import type { InvocationOutput, InvocationStatus } from '../schemas/responses.js';
import { sessionObjectKey } from './keys.js';

/** The latest state of a session, one JSON object per session. */
export interface SessionStateRecord {
  session_id: string;
  /** The API key id (API Gateway's) that owns the session; null on the unauthenticated runtime. */
  owner: string | null;
  invocation_id: string;
  status: InvocationStatus;
  prompt: string;
  updated_at: string;
  /** The whole output once the invocation has ended. */
  output: InvocationOutput | null;
}

/** Where session state is mirrored. */
export interface StateMirror {
  put(record: SessionStateRecord): Promise<void>;
  get(sessionId: string): Promise<SessionStateRecord | undefined>;
}

/** The embedded default: SQLite already holds the state, nothing to mirror. */
export class NoStateMirror implements StateMirror {
  async put(): Promise<void> {}
  async get(): Promise<undefined> {
    return undefined;
  }
}

/** The object key of a session's state under a storage prefix ('' or 'a/b'). */
export function stateKey(prefix: string, sessionId: string): string {
  return sessionObjectKey(prefix, sessionId, 'state.json');
}

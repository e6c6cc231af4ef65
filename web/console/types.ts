/** The shapes the console reads from the API (a subset of /openapi.json; unknown fields are ignored). */

/** A stored file with its signed download link. */
export interface StoredFile {
  file_name: string;
  key: string;
  size: number;
  download_url: string;
  invocation_id?: string;
}

/** An invocation's output, as `invocation.completed` and the synchronous answer carry it. */
export interface Output {
  success: boolean;
  result: string;
  session_id: string;
  invocation_id: string;
  model?: string;
  cost_usd?: number;
  usage?: { input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
  errors?: string[];
  metadata?: { duration_ms?: number; num_turns?: number; uploaded_files?: StoredFile[] };
}

/** One event of a session's stream: `type` decides what `data` holds; unknown types are shown as JSON. */
export interface RunEvent {
  id: number;
  session_id: string;
  invocation_id: string;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

/** A row of `GET /sessions`. */
export interface SessionSummary {
  session_id: string;
  created_at: string;
  updated_at: string;
  status: string;
  invocation_count: number;
  last_prompt: string | null;
}

/** An invocation of `GET /sessions/{id}`. */
export interface InvocationSummary {
  invocation_id: string;
  status: string;
  prompt: string;
  started_at: string;
  result: string | null;
  cost_usd: number | null;
  files: StoredFile[];
}

/** `GET /sessions/{id}`. */
export interface SessionDetail extends SessionSummary {
  invocations: InvocationSummary[];
}

/** Statuses in which an invocation may still emit events. */
export const ACTIVE = new Set(['queued', 'running']);

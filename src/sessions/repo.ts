/**
 * Sessions and their invocations in SQLite. A session is a workspace plus a Claude Code
 * conversation; an invocation is one run in it.
 */
import type { FailedUpload, InvocationOutput, InvocationStatus, UploadedFile } from '../schemas/responses.js';
import type { Db } from '../store/index.js';
import { FileLists } from './file-lists.js';

/** Where an invocation is in its life. `running` is the only state that is not final. */
export type { InvocationStatus };

export interface SessionRow {
  id: string;
  created_at: string;
  updated_at: string;
  claude_session_id: string | null;
  last_invocation_id: string | null;
  /** The API key that created the session; null when created through the unauthenticated runtime. */
  owner_key_id: string | null;
  /** Event ids of the session continue after this one (the last saved by another worker; 0: none). */
  event_seq_base: number;
}

/** A session with what its list entry shows: the latest invocation's status and prompt. */
export interface SessionListRow extends SessionRow {
  last_status: InvocationStatus | null;
  last_prompt: string | null;
  invocation_count: number;
}

export interface InvocationRow {
  id: string;
  session_id: string;
  started_at: string;
  ended_at: string | null;
  status: InvocationStatus;
  prompt: string;
  request_json: string;
  output_json: string | null;
  cost_usd: number | null;
}

/** Typed access to the sessions and invocations tables; every statement prepared once. */
export class SessionRepo {
  private readonly stmts;
  /** The full file lists of each invocation (the output keeps the first entries). */
  readonly files: FileLists;

  constructor(private readonly db: Db) {
    this.files = new FileLists(db);
    this.stmts = {
      getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      insertSession: db.prepare('INSERT OR IGNORE INTO sessions (id, created_at, updated_at, owner_key_id) VALUES (?, ?, ?, ?)'),
      listSessions: db.prepare<[string | null, string, string, string, number], SessionListRow>(
        `SELECT s.*, i.status AS last_status, i.prompt AS last_prompt,
                (SELECT count(*) FROM invocations WHERE session_id = s.id) AS invocation_count
           FROM sessions s LEFT JOIN invocations i ON i.id = s.last_invocation_id
          WHERE s.owner_key_id IS ? AND (s.created_at < ? OR (s.created_at = ? AND s.id < ?))
          ORDER BY s.created_at DESC, s.id DESC
          LIMIT ?`,
      ),
      getSessionListRow: db.prepare<[string], SessionListRow>(
        `SELECT s.*, i.status AS last_status, i.prompt AS last_prompt,
                (SELECT count(*) FROM invocations WHERE session_id = s.id) AS invocation_count
           FROM sessions s LEFT JOIN invocations i ON i.id = s.last_invocation_id
          WHERE s.id = ?`,
      ),
      insertInvocation: db.prepare(
        `INSERT INTO invocations (id, session_id, started_at, status, prompt, request_json) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      touchSession: db.prepare('UPDATE sessions SET updated_at = ?, last_invocation_id = ? WHERE id = ?'),
      finishInvocation: db.prepare('UPDATE invocations SET status = ?, ended_at = ?, output_json = ?, cost_usd = ? WHERE id = ?'),
      setClaudeSession: db.prepare('UPDATE sessions SET claude_session_id = ?, updated_at = ? WHERE id = ?'),
      importSession: db.prepare(
        'UPDATE sessions SET claude_session_id = ?, event_seq_base = MAX(event_seq_base, ?), updated_at = ? WHERE id = ?',
      ),
      getInvocation: db.prepare<[string], InvocationRow>('SELECT * FROM invocations WHERE id = ?'),
      listInvocations: db.prepare<[string], InvocationRow>('SELECT * FROM invocations WHERE session_id = ? ORDER BY started_at, id'),
      listUnfinished: db.prepare<[], InvocationRow>(
        `SELECT * FROM invocations WHERE status IN ('queued', 'running') ORDER BY started_at, id`,
      ),
      setOutput: db.prepare('UPDATE invocations SET output_json = ? WHERE id = ?'),
      markRunning: db.prepare(`UPDATE invocations SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'`),
    };
  }

  /** The session, or undefined. */
  getSession(id: string): SessionRow | undefined {
    return this.stmts.getSession.get(id);
  }

  /**
   * The session, created for `ownerKeyId` if it does not exist yet (an upload before the first
   * invocation); an existing one is returned as it is, whoever owns it: the caller checks.
   * @example const row = sessions.createSession('s1', keyId, new Date());
   */
  createSession(id: string, ownerKeyId: string | undefined, at: Date = new Date()): SessionRow {
    const now = at.toISOString();
    this.stmts.insertSession.run(id, now, now, ownerKeyId ?? null);
    return this.stmts.getSession.get(id) as SessionRow;
  }

  /**
   * Takes in a session saved by another worker: created here if this worker has never seen it (with
   * its owner and creation time), then given the saved conversation, and event ids that continue
   * after the saved ones.
   * @example sessions.importSession({ id, createdAt: head.created_at, ownerKeyId: head.owner ?? undefined, claudeSessionId, eventSeqBase: 12 });
   */
  importSession(input: {
    id: string;
    createdAt: string;
    ownerKeyId: string | undefined;
    claudeSessionId: string | null;
    eventSeqBase: number;
  }): void {
    this.db.transaction(() => {
      this.stmts.insertSession.run(input.id, input.createdAt, input.createdAt, input.ownerKeyId ?? null);
      this.stmts.importSession.run(input.claudeSessionId, input.eventSeqBase, new Date().toISOString(), input.id);
    })();
  }

  /** Records the start of an invocation, creating its session on first use; one transaction. */
  startInvocation(input: {
    sessionId: string;
    invocationId: string;
    startedAt: Date;
    prompt: string;
    request: unknown;
    ownerKeyId?: string | undefined;
    /** `queued` when the run waits for a slot (the default: it is known to start at once). */
    status?: 'queued' | 'running';
  }): SessionRow {
    const now = input.startedAt.toISOString();
    return this.db.transaction(() => {
      this.stmts.insertSession.run(input.sessionId, now, now, input.ownerKeyId ?? null);
      this.stmts.insertInvocation.run(
        input.invocationId,
        input.sessionId,
        now,
        input.status ?? 'running',
        input.prompt,
        JSON.stringify(input.request),
      );
      this.stmts.touchSession.run(now, input.invocationId, input.sessionId);
      return this.stmts.getSession.get(input.sessionId) as SessionRow;
    })();
  }

  /** Records how an invocation ended, and the Claude Code session to resume next time. */
  finishInvocation(input: {
    sessionId: string;
    invocationId: string;
    status: InvocationStatus;
    endedAt: Date;
    output: unknown;
    costUsd: number;
    claudeSessionId: string | undefined;
  }): void {
    const now = input.endedAt.toISOString();
    this.db.transaction(() => {
      this.stmts.finishInvocation.run(input.status, now, JSON.stringify(input.output), input.costUsd, input.invocationId);
      if (input.claudeSessionId !== undefined) this.stmts.setClaudeSession.run(input.claudeSessionId, now, input.sessionId);
    })();
  }

  /**
   * One page of an owner's sessions, newest first. `after` is the (created_at, id) of the last
   * session of the previous page; `owner` null lists the sessions of the unauthenticated runtime.
   */
  listSessions(owner: string | null, limit: number, after?: { createdAt: string; id: string }): SessionListRow[] {
    // '\uffff' sorts after every ISO timestamp and id: no cursor means "from the newest".
    const createdAt = after?.createdAt ?? '\uffff';
    return this.stmts.listSessions.all(owner, createdAt, createdAt, after?.id ?? '\uffff', limit);
  }

  /** One session with its list fields, or undefined. */
  getSessionListRow(id: string): SessionListRow | undefined {
    return this.stmts.getSessionListRow.get(id);
  }

  /**
   * A file that failed to upload was stored later (outbox): it moves from the invocation's failed
   * list to its stored one, in the file lists and in the output (whose lists are capped), so the
   * record lists it with a link.
   */
  recordLateUpload(invocationId: string, file: UploadedFile): void {
    this.db.transaction(() => {
      const moved = this.files.markUploaded(invocationId, file);
      const row = this.stmts.getInvocation.get(invocationId);
      if (row?.output_json == null) return;
      const parsed = JSON.parse(row.output_json) as Partial<InvocationOutput>;
      const meta = parsed.output?.metadata;
      if (meta === undefined) return;
      // Failed entries name their key; those recorded before keys were added, only their name.
      const isFile = (f: FailedUpload) => (f.key !== undefined ? f.key === file.key : f.file_name === file.file_name);
      const listedBefore = meta.uploaded_files.length;
      const wasListed = meta.uploaded_files.some((f) => f.key === file.key);
      const wasFailed = moved || meta.failed_uploads.some(isFile);
      meta.failed_uploads = meta.failed_uploads.filter((f) => !isFile(f));
      // The list keeps its first entries: the file joins it only when no entry was left out.
      const complete = listedBefore >= (meta.uploaded_files_total ?? listedBefore);
      if (wasListed) meta.uploaded_files = meta.uploaded_files.map((f) => (f.key === file.key ? file : f));
      else if (complete) meta.uploaded_files = [...meta.uploaded_files, file];
      if (wasFailed && !wasListed) {
        if (meta.uploaded_files_total !== undefined) meta.uploaded_files_total += 1;
        if (meta.failed_uploads_total !== undefined) meta.failed_uploads_total = Math.max(0, meta.failed_uploads_total - 1);
      }
      this.stmts.setOutput.run(JSON.stringify(parsed), invocationId);
    })();
  }

  /** One invocation, or undefined. */
  getInvocation(id: string): InvocationRow | undefined {
    return this.stmts.getInvocation.get(id);
  }

  /** A session's invocations, oldest first. */
  listInvocations(sessionId: string): InvocationRow[] {
    return this.stmts.listInvocations.all(sessionId);
  }

  /** A queued invocation got its run slot: it runs from `at`. */
  markRunning(invocationId: string, at: Date): void {
    this.stmts.markRunning.run(at.toISOString(), invocationId);
  }

  /** Invocations still queued or running, oldest first: at start-up, those the process died in. */
  listUnfinished(): InvocationRow[] {
    return this.stmts.listUnfinished.all();
  }
}

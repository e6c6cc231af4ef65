/**
 * Sessions and their invocations in SQLite. A session is a workspace plus a Claude Code
 * conversation; an invocation is one run in it.
 */
import type { Db } from '../store/index.js';

/** Where an invocation is in its life. `running` is the only state that is not final. */
export type InvocationStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'interrupted';

export interface SessionRow {
  id: string;
  created_at: string;
  updated_at: string;
  claude_session_id: string | null;
  last_invocation_id: string | null;
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

  constructor(private readonly db: Db) {
    this.stmts = {
      getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      insertSession: db.prepare('INSERT OR IGNORE INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)'),
      insertInvocation: db.prepare(
        `INSERT INTO invocations (id, session_id, started_at, status, prompt, request_json) VALUES (?, ?, ?, 'running', ?, ?)`,
      ),
      touchSession: db.prepare('UPDATE sessions SET updated_at = ?, last_invocation_id = ? WHERE id = ?'),
      finishInvocation: db.prepare('UPDATE invocations SET status = ?, ended_at = ?, output_json = ?, cost_usd = ? WHERE id = ?'),
      setClaudeSession: db.prepare('UPDATE sessions SET claude_session_id = ?, updated_at = ? WHERE id = ?'),
      getInvocation: db.prepare<[string], InvocationRow>('SELECT * FROM invocations WHERE id = ?'),
      listInvocations: db.prepare<[string], InvocationRow>('SELECT * FROM invocations WHERE session_id = ? ORDER BY started_at, id'),
      interruptRunning: db.prepare(`UPDATE invocations SET status = 'interrupted', ended_at = ? WHERE status = 'running'`),
    };
  }

  /** The session, or undefined. */
  getSession(id: string): SessionRow | undefined {
    return this.stmts.getSession.get(id);
  }

  /** Records the start of an invocation, creating its session on first use; one transaction. */
  startInvocation(input: { sessionId: string; invocationId: string; startedAt: Date; prompt: string; request: unknown }): SessionRow {
    const now = input.startedAt.toISOString();
    return this.db.transaction(() => {
      this.stmts.insertSession.run(input.sessionId, now, now);
      this.stmts.insertInvocation.run(input.invocationId, input.sessionId, now, input.prompt, JSON.stringify(input.request));
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

  /** One invocation, or undefined. */
  getInvocation(id: string): InvocationRow | undefined {
    return this.stmts.getInvocation.get(id);
  }

  /** A session's invocations, oldest first. */
  listInvocations(sessionId: string): InvocationRow[] {
    return this.stmts.listInvocations.all(sessionId);
  }

  /** At start-up: runs that were in progress when the process died are not running any more. */
  markInterrupted(at: Date): number {
    return this.stmts.interruptRunning.run(at.toISOString()).changes;
  }
}

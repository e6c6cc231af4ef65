/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Append only:
 * a released migration is never edited, a change is a new entry.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     claude_session_id TEXT,
     last_invocation_id TEXT
   );
   CREATE TABLE invocations (
     id TEXT PRIMARY KEY,
     session_id TEXT NOT NULL REFERENCES sessions(id),
     started_at TEXT NOT NULL,
     ended_at TEXT,
     status TEXT NOT NULL,
     prompt TEXT NOT NULL,
     request_json TEXT NOT NULL,
     output_json TEXT,
     cost_usd REAL
   );
   CREATE INDEX invocations_by_session ON invocations(session_id, started_at);
   CREATE INDEX invocations_by_status ON invocations(status);`,
];

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
  // API keys (hashed), their request limits, usage counters, and session ownership.
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash BLOB NOT NULL,
     created_at TEXT NOT NULL,
     revoked_at TEXT,
     rate_per_s REAL NOT NULL,
     burst INTEGER NOT NULL,
     daily_quota INTEGER NOT NULL,
     max_concurrent INTEGER NOT NULL
   );
   CREATE TABLE key_buckets (
     key_id TEXT PRIMARY KEY REFERENCES api_keys(id),
     tokens REAL NOT NULL,
     updated_ms INTEGER NOT NULL
   );
   CREATE TABLE key_usage (
     key_id TEXT NOT NULL REFERENCES api_keys(id),
     day TEXT NOT NULL,
     requests INTEGER NOT NULL,
     PRIMARY KEY (key_id, day)
   );
   ALTER TABLE sessions ADD COLUMN owner_key_id TEXT REFERENCES api_keys(id);
   CREATE INDEX sessions_by_owner ON sessions(owner_key_id, created_at);`,
  // The event log of each session (live streams and their replay), and per-key caps on run limits.
  `CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL REFERENCES sessions(id),
     invocation_id TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX events_by_session ON events(session_id, id);
   ALTER TABLE api_keys ADD COLUMN max_timeout_s INTEGER;
   ALTER TABLE api_keys ADD COLUMN max_turns INTEGER;
   ALTER TABLE api_keys ADD COLUMN max_budget_usd REAL;`,
  // Uploads that failed: kept until a retry (in the background and at start-up) stores them.
  `CREATE TABLE upload_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL,
     invocation_id TEXT NOT NULL,
     file_name TEXT NOT NULL,
     object_key TEXT NOT NULL,
     workspace TEXT NOT NULL,
     size INTEGER NOT NULL,
     dev TEXT NOT NULL,
     ino TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     created_at TEXT NOT NULL,
     next_attempt_at TEXT NOT NULL,
     UNIQUE (invocation_id, file_name)
   );
   CREATE INDEX upload_outbox_due ON upload_outbox(next_attempt_at);`,
  // The files of each invocation, one row each, instead of whole lists in output_json (a run of
  // 120,000 files made a 28 MB row that every read of its session parsed). Existing lists move
  // here, and outputs whose lists pass 1000 entries keep their first 1000 with totals.
  `CREATE TABLE invocation_files (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL,
     invocation_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     file_name TEXT NOT NULL,
     key TEXT,
     data TEXT NOT NULL
   );
   CREATE INDEX invocation_files_by_invocation ON invocation_files(invocation_id, kind, id);
   CREATE INDEX invocation_files_by_session ON invocation_files(session_id, kind, id);
   INSERT INTO invocation_files (session_id, invocation_id, kind, file_name, key, data)
     SELECT i.session_id, i.id, 'uploaded', coalesce(f.value ->> '$.file_name', ''), f.value ->> '$.key', f.value
       FROM invocations i, json_each(CASE WHEN json_valid(i.output_json) THEN i.output_json END, '$.output.metadata.uploaded_files') f
      ORDER BY i.started_at, i.id, f.key;
   INSERT INTO invocation_files (session_id, invocation_id, kind, file_name, key, data)
     SELECT i.session_id, i.id, 'skipped', coalesce(f.value ->> '$.path', ''), NULL,
            json_set(f.value, '$.file_name', coalesce(f.value ->> '$.path', ''))
       FROM invocations i, json_each(CASE WHEN json_valid(i.output_json) THEN i.output_json END, '$.output.metadata.skipped_files') f
      ORDER BY i.started_at, i.id, f.key;
   INSERT INTO invocation_files (session_id, invocation_id, kind, file_name, key, data)
     SELECT i.session_id, i.id, 'failed', coalesce(f.value ->> '$.file_name', ''), f.value ->> '$.key', f.value
       FROM invocations i, json_each(CASE WHEN json_valid(i.output_json) THEN i.output_json END, '$.output.metadata.failed_uploads') f
      ORDER BY i.started_at, i.id, f.key;
   UPDATE invocations SET output_json = json_set(output_json,
       '$.output.metadata.uploaded_files_total', json_array_length(output_json, '$.output.metadata.uploaded_files'),
       '$.output.metadata.skipped_files_total', json_array_length(output_json, '$.output.metadata.skipped_files'),
       '$.output.metadata.failed_uploads_total', json_array_length(output_json, '$.output.metadata.failed_uploads'),
       '$.output.metadata.files_truncated', json('true'),
       '$.output.metadata.uploaded_files', json((SELECT json_group_array(json(value)) FROM
         (SELECT value FROM json_each(invocations.output_json, '$.output.metadata.uploaded_files') ORDER BY key LIMIT 1000))),
       '$.output.metadata.skipped_files', json((SELECT json_group_array(json(value)) FROM
         (SELECT value FROM json_each(invocations.output_json, '$.output.metadata.skipped_files') ORDER BY key LIMIT 1000))),
       '$.output.metadata.failed_uploads', json((SELECT json_group_array(json(value)) FROM
         (SELECT value FROM json_each(invocations.output_json, '$.output.metadata.failed_uploads') ORDER BY key LIMIT 1000))))
    WHERE json_valid(output_json) AND json_type(output_json, '$.output.metadata') = 'object'
      AND (coalesce(json_array_length(output_json, '$.output.metadata.uploaded_files'), 0) > 1000
        OR coalesce(json_array_length(output_json, '$.output.metadata.skipped_files'), 0) > 1000
        OR coalesce(json_array_length(output_json, '$.output.metadata.failed_uploads'), 0) > 1000);`,
  // Per-key caps on what one run may use (memory, processes, CPU, disk), below CCA_RUN_*.
  `ALTER TABLE api_keys ADD COLUMN max_memory_mb INTEGER;
   ALTER TABLE api_keys ADD COLUMN max_pids INTEGER;
   ALTER TABLE api_keys ADD COLUMN max_cpus REAL;
   ALTER TABLE api_keys ADD COLUMN max_disk_mb INTEGER;`,
  // Tenancy. Event ids become a sequence per session (`seq`): existing events keep their old
  // (global) id as their seq, so a Last-Event-ID a client already holds still resumes exactly, and
  // new events continue from the session's last one. Per-key caps on queued runs and stored
  // bytes (NULL: the server's default). The ledger of stored files (quota and retention), with
  // usage per key kept by triggers, filled from the uploads invocations already recorded (invocation_files).
  `ALTER TABLE events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
   UPDATE events SET seq = id;
   CREATE UNIQUE INDEX events_by_session_seq ON events(session_id, seq);
   DROP INDEX events_by_session;
   ALTER TABLE api_keys ADD COLUMN max_queued INTEGER;
   ALTER TABLE api_keys ADD COLUMN storage_quota_mb INTEGER;
   CREATE TABLE stored_objects (
     object_key TEXT PRIMARY KEY,
     owner_key_id TEXT,
     session_id TEXT NOT NULL,
     invocation_id TEXT NOT NULL,
     size INTEGER NOT NULL,
     stored_at TEXT NOT NULL
   );
   CREATE INDEX stored_objects_by_age ON stored_objects(stored_at);
   CREATE TABLE storage_usage (
     owner_key_id TEXT PRIMARY KEY,
     bytes INTEGER NOT NULL
   );
   CREATE TRIGGER stored_objects_counted AFTER INSERT ON stored_objects WHEN NEW.owner_key_id IS NOT NULL BEGIN
     INSERT OR IGNORE INTO storage_usage (owner_key_id, bytes) VALUES (NEW.owner_key_id, 0);
     UPDATE storage_usage SET bytes = bytes + NEW.size WHERE owner_key_id = NEW.owner_key_id;
   END;
   CREATE TRIGGER stored_objects_uncounted AFTER DELETE ON stored_objects WHEN OLD.owner_key_id IS NOT NULL BEGIN
     UPDATE storage_usage SET bytes = bytes - OLD.size WHERE owner_key_id = OLD.owner_key_id;
   END;
   INSERT OR IGNORE INTO stored_objects (object_key, owner_key_id, session_id, invocation_id, size, stored_at)
     SELECT f.key, s.owner_key_id, f.session_id, f.invocation_id, f.data ->> '$.size', COALESCE(i.ended_at, i.started_at)
       FROM invocation_files f
       JOIN invocations i ON i.id = f.invocation_id
       JOIN sessions s ON s.id = f.session_id
      WHERE f.kind = 'uploaded' AND f.key IS NOT NULL AND json_type(f.data, '$.size') = 'integer';`,
  // Per-key git credentials (issue 12): a token per host, sealed with AES-256-GCM under a key the
  // service derives from its signing secret, so a copy of the database alone does not hand them out.
  `CREATE TABLE key_git_credentials (
     key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
     host TEXT NOT NULL,
     sealed BLOB NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (key_id, host)
   );`,
  // Per-key caps on one upload into a session (NULL: CCA_UPLOAD_MAX_MB / CCA_UPLOAD_MAX_FILES).
  `ALTER TABLE api_keys ADD COLUMN max_upload_mb INTEGER;
   ALTER TABLE api_keys ADD COLUMN max_upload_files INTEGER;`,
  // Durable session state (issue 13): a session continued from another worker's save numbers its
  // events after the saved ones, so event ids stay one sequence across workers.
  `ALTER TABLE sessions ADD COLUMN event_seq_base INTEGER NOT NULL DEFAULT 0;`,
  // Webhooks (issue 14): each key's default webhook and its signing secret (sealed like git
  // credentials; the previous secret keeps signing for a while after a rotation), the webhook each
  // invocation subscribed with, and every delivery with its attempts, so a restart loses none.
  `CREATE TABLE key_webhooks (
     key_id TEXT PRIMARY KEY REFERENCES api_keys(id) ON DELETE CASCADE,
     url TEXT,
     events TEXT,
     secret BLOB,
     previous_secret BLOB,
     previous_until TEXT,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE invocation_webhooks (
     invocation_id TEXT PRIMARY KEY,
     session_id TEXT NOT NULL,
     owner_key_id TEXT,
     url TEXT NOT NULL,
     events TEXT NOT NULL,
     source TEXT NOT NULL,
     base_url TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE webhook_deliveries (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     session_id TEXT NOT NULL,
     invocation_id TEXT NOT NULL,
     owner_key_id TEXT,
     type TEXT NOT NULL,
     url TEXT NOT NULL,
     payload TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     next_attempt_at TEXT,
     last_attempt_at TEXT,
     last_status INTEGER,
     last_error TEXT,
     delivered_at TEXT
   );
   CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
   CREATE INDEX webhook_deliveries_by_session ON webhook_deliveries(session_id, seq);`,
  // Spending limits per key (issue 14): budgets per UTC day and month (NULL: none), and the spend
  // ledger, one row per run of a key, charged to the day it was admitted; runs that ended before
  // are filled in from the invocations (their recorded cost and the tokens of their output).
  `ALTER TABLE api_keys ADD COLUMN budget_usd_day REAL;
   ALTER TABLE api_keys ADD COLUMN budget_usd_month REAL;
   CREATE TABLE run_spend (
     invocation_id TEXT PRIMARY KEY,
     key_id TEXT NOT NULL,
     session_id TEXT NOT NULL,
     day TEXT NOT NULL,
     admitted_at TEXT NOT NULL,
     ended_at TEXT,
     status TEXT NOT NULL,
     max_budget_usd REAL,
     limited_by TEXT,
     cost_usd REAL NOT NULL DEFAULT 0,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
     cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
     model_calls INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX run_spend_by_key_day ON run_spend(key_id, day);
   CREATE INDEX run_spend_by_day ON run_spend(day);
   INSERT INTO run_spend (invocation_id, key_id, session_id, day, admitted_at, ended_at, status, cost_usd,
                          input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens)
     SELECT i.id, s.owner_key_id, i.session_id, substr(i.started_at, 1, 10), i.started_at, i.ended_at, i.status, coalesce(i.cost_usd, 0),
            coalesce(CASE WHEN json_valid(i.output_json) THEN i.output_json ->> '$.output.usage.input_tokens' END, 0),
            coalesce(CASE WHEN json_valid(i.output_json) THEN i.output_json ->> '$.output.usage.output_tokens' END, 0),
            coalesce(CASE WHEN json_valid(i.output_json) THEN i.output_json ->> '$.output.usage.cache_creation_input_tokens' END, 0),
            coalesce(CASE WHEN json_valid(i.output_json) THEN i.output_json ->> '$.output.usage.cache_read_input_tokens' END, 0)
       FROM invocations i JOIN sessions s ON s.id = i.session_id
      WHERE s.owner_key_id IS NOT NULL AND i.status NOT IN ('queued', 'running');`,
  // Webhook fairness (issue 14): an owner's pending deliveries are counted at each event and the
  // oldest given up beyond a cap, so pending rows get an index by owner in age order (partial: the
  // finished rows, most of the table, stay out of it); a caller's retry of a delivery is limited in
  // rate by when it last asked.
  `CREATE INDEX webhook_deliveries_pending_by_owner ON webhook_deliveries(owner_key_id, seq) WHERE state = 'pending';
   ALTER TABLE webhook_deliveries ADD COLUMN requeued_at TEXT;`,
];

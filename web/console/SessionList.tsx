/** The key's past sessions, newest first, a page at a time; choosing one reopens it. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { messageOf, type Api } from './api.js';
import { formatTime } from './format.js';
import type { SessionSummary } from './types.js';

interface Props {
  api: Api;
  current: string | undefined;
  /** Changes when the list should be read again (a run started or ended). */
  version: number;
  onOpen(id: string): void;
  onNew(): void;
}

/** The sessions list. */
export function SessionList({ api, current, version, onOpen, onNew }: Props) {
  const [sessions, setSessions] = useState<SessionSummary[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const load = useCallback(
    async (cursor?: string) => {
      try {
        const page = await api.json<{ sessions: SessionSummary[]; next_cursor: string | null }>(
          'GET',
          `/sessions?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        setSessions((old) => (cursor ? [...old, ...page.sessions] : page.sessions));
        setNext(page.next_cursor);
        setError(undefined);
      } catch (err) {
        setError(messageOf(err));
      }
    },
    [api],
  );
  useEffect(() => void load(), [load, version]);
  return (
    <nav class="sessions" aria-labelledby="sessions-title">
      <div class="run-head">
        <h2 id="sessions-title">Sessions</h2>
        <button type="button" onClick={onNew}>
          New
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul>
        {sessions.map((s) => (
          <li key={s.session_id}>
            <button
              type="button"
              class={`session${s.session_id === current ? ' current' : ''}`}
              aria-current={s.session_id === current ? 'true' : undefined}
              onClick={() => onOpen(s.session_id)}
            >
              <span class="prompt">{s.last_prompt ?? '(no prompt yet)'}</span>
              <span class="muted">
                {s.status} · {s.invocation_count} run{s.invocation_count === 1 ? '' : 's'} · {formatTime(s.updated_at)}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {sessions.length === 0 && !error && <p class="muted">No sessions yet.</p>}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          More sessions
        </button>
      )}
    </nav>
  );
}

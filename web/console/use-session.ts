/**
 * The session on screen: its events (replayed, then live), its detail (invocations and files),
 * and the actions on it. One follower at a time: opening another session stops the last one.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, messageOf, type Api } from './api.js';
import type { Task } from './task.js';
import { ACTIVE, type RunEvent, type SessionDetail } from './types.js';

/** What the console shows of the open session, and what it can do with it. */
export interface SessionView {
  sessionId: string | undefined;
  events: RunEvent[];
  detail: SessionDetail | undefined;
  running: boolean;
  busy: string | undefined;
  error: string | undefined;
  open(id: string): void;
  clear(): void;
  submit(task: Task): Promise<boolean>;
  cancel(): Promise<void>;
  answer(requestId: string, decision: 'allow' | 'deny'): Promise<void>;
  refresh(): Promise<void>;
}

/** Holds the open session of `api` (undefined: no key yet). */
export function useSession(api: Api | undefined): SessionView {
  const [sessionId, setSessionId] = useState<string>();
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [detail, setDetail] = useState<SessionDetail>();
  const [running, setRunning] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const lastId = useRef(0);
  const follower = useRef<AbortController | undefined>(undefined);

  const load = useCallback(
    async (id: string) => {
      if (!api) return;
      const d = await api.json<SessionDetail>('GET', `/sessions/${encodeURIComponent(id)}`);
      setDetail(d);
      return d;
    },
    [api],
  );

  const follow = useCallback(
    async (id: string) => {
      if (!api) return;
      follower.current?.abort();
      const ctl = new AbortController();
      follower.current = ctl;
      setRunning(true);
      try {
        await api.follow(id, lastId.current, (e) => onEvent(e), ctl.signal);
      } catch (err) {
        if (!ctl.signal.aborted) setError(messageOf(err));
      } finally {
        if (follower.current === ctl) {
          setRunning(false);
          await load(id).catch((err: unknown) => setError(messageOf(err)));
        }
      }
      function onEvent(e: RunEvent): void {
        if (ctl.signal.aborted || e.id <= lastId.current) return;
        lastId.current = e.id;
        setEvents((all) => [...all, e]);
        if (e.type === 'invocation.completed' || e.type === 'file.stored') void load(id).catch(() => undefined);
      }
    },
    [api, load],
  );

  const reset = (id: string | undefined) => {
    follower.current?.abort();
    lastId.current = 0;
    setSessionId(id);
    setEvents([]);
    setDetail(undefined);
    setError(undefined);
    setRunning(false);
  };

  const open = useCallback(
    (id: string) => {
      reset(id);
      void load(id)
        .then(() => follow(id))
        .catch((err: unknown) => setError(messageOf(err)));
    },
    [load, follow],
  );

  const submit = async (task: Task): Promise<boolean> => {
    if (!api) return false;
    setError(undefined);
    let id = sessionId;
    try {
      if (task.files.length > 0) {
        id ??= newSessionId();
        setBusy(`Uploading ${task.files.length} file${task.files.length === 1 ? '' : 's'}…`);
        const form = new FormData();
        for (const f of task.files) form.append('file', f, f.webkitRelativePath || f.name);
        await api.fetch(`/sessions/${encodeURIComponent(id)}/files`, { method: 'POST', body: form });
      }
      setBusy('Submitting…');
      const body = { ...task.body, ...(id ? { session_id: id } : {}), async: true };
      const accepted = await api.json<{ session_id: string }>('POST', '/invoke', body);
      if (accepted.session_id !== sessionId) reset(accepted.session_id);
      setBusy(undefined);
      void follow(accepted.session_id);
      return true;
    } catch (err) {
      setBusy(undefined);
      setError(err instanceof ApiError && err.status === 400 ? `The API refused the task: ${err.message}` : messageOf(err));
      return false;
    }
  };

  const cancel = async () => {
    if (!api || !sessionId) return;
    await api.json('POST', `/sessions/${encodeURIComponent(sessionId)}/cancel`).catch((err: unknown) => setError(messageOf(err)));
  };

  const answer = async (requestId: string, decision: 'allow' | 'deny') => {
    if (!api || !sessionId) return;
    const path = `/sessions/${encodeURIComponent(sessionId)}/permissions/${encodeURIComponent(requestId)}`;
    await api.json('POST', path, { decision }).catch((err: unknown) => setError(messageOf(err)));
  };

  const refresh = async () => {
    if (sessionId) await load(sessionId).catch((err: unknown) => setError(messageOf(err)));
  };

  useEffect(() => () => follower.current?.abort(), []);
  const active = running || (detail !== undefined && ACTIVE.has(detail.status));
  return { sessionId, events, detail, running: active, busy, error, open, clear: () => reset(undefined), submit, cancel, answer, refresh };
}

/** A fresh session id for uploads before the first run; `crypto.randomUUID` exists only on https and localhost. */
function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

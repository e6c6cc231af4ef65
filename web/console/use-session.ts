/**
 * The session on screen: its events (replayed, then live), its detail (invocations and files),
 * and the actions on it. Each opened session has its own AbortController: opening another aborts
 * every fetch of the last one, and nothing it answers afterwards reaches the screen.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, messageOf, type Api } from './api.js';
import { batcher } from './batch.js';
import { filesOf } from './files-of.js';
import { reconnectDelay, retryable } from './reconnect.js';
import type { Task } from './task.js';
import { ACTIVE, type RunEvent, type SessionDetail, type StoredFile } from './types.js';

/** What the console shows of the open session, and what it can do with it. */
export interface SessionView {
  sessionId: string | undefined;
  events: RunEvent[];
  detail: SessionDetail | undefined;
  /** Every stored file, latest version of each path, with the freshest link known. */
  files: StoredFile[];
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

/** One opening of a session: aborted when the person opens another (or the same one again). */
interface Opened {
  id: string;
  ctl: AbortController;
  following: boolean;
  /**
   * Set when a run is accepted while `following`: the follow may be in its final detail load,
   * which can still answer "idle", so it must look again instead of ending.
   */
  again: boolean;
}

/** How long after an `invocation.completed` the detail is loaded, when the stream goes on (a queued run). */
const DETAIL_DEBOUNCE_MS = 500;

/** Holds the open session of `api` (undefined: no key yet). */
export function useSession(api: Api | undefined): SessionView {
  const [sessionId, setSessionId] = useState<string>();
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [detail, setDetail] = useState<SessionDetail>();
  const [running, setRunning] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const current = useRef<Opened | undefined>(undefined);
  const lastId = useRef(0);

  /** Shows `err` unless it came from a session the person has left. */
  const report = (o: Opened, err: unknown) => {
    if (!o.ctl.signal.aborted) setError(messageOf(err));
  };

  const begin = (id: string | undefined): Opened | undefined => {
    current.current?.ctl.abort();
    lastId.current = 0;
    setSessionId(id);
    setEvents([]);
    setDetail(undefined);
    setError(undefined);
    setRunning(false);
    current.current = id === undefined ? undefined : { id, ctl: new AbortController(), following: false, again: false };
    return current.current;
  };

  /** Loads the detail of `o`; undefined once `o` was left. */
  const load = useCallback(
    async (o: Opened): Promise<SessionDetail | undefined> => {
      if (!api || o.ctl.signal.aborted) return undefined;
      const d = await api.json<SessionDetail>('GET', `/sessions/${encodeURIComponent(o.id)}`, undefined, o.ctl.signal);
      if (o.ctl.signal.aborted) return undefined;
      setDetail(d);
      return d;
    },
    [api],
  );

  /**
   * Follows the events of `o` until the session is idle: the detail is loaded once when the
   * stream ends (and, debounced, after an invocation that another follows), never per event.
   * A broken connection is reopened after the last event seen, with backoff, while the session
   * is queued or running. `recovering`: an error is on screen that the first answer of the stream clears.
   */
  const follow = useCallback(
    async (o: Opened, recovering = false) => {
      if (!api || o.ctl.signal.aborted) return;
      setRunning(true);
      if (o.following) {
        o.again = true;
        return;
      }
      o.following = true;
      const { signal } = o.ctl;
      let attempt = 0;
      let lost = recovering;
      let debounce: ReturnType<typeof setTimeout> | undefined;
      // One state update per animation frame, not per event: each copies the whole list.
      const shown = batcher<RunEvent>((es) => {
        if (!signal.aborted) setEvents((all) => all.concat(es));
      }, nextFrame);
      const onEvent = (e: RunEvent) => {
        if (signal.aborted || e.id <= lastId.current) return;
        lastId.current = e.id;
        attempt = 0;
        shown.push(e);
        if (e.type === 'invocation.completed') {
          clearTimeout(debounce);
          debounce = setTimeout(() => void load(o).catch((err: unknown) => report(o, err)), DETAIL_DEBOUNCE_MS);
        }
      };
      const onOpen = () => {
        if (lost && !signal.aborted) setError(undefined);
        lost = false;
      };
      try {
        for (;;) {
          let failure: unknown;
          // A run accepted from here on is either in the stream below or seen by the load after it.
          o.again = false;
          try {
            await api.follow(o.id, lastId.current, onEvent, signal, onOpen);
            // The API ended the stream: the session is idle, unless a run was queued meanwhile.
            clearTimeout(debounce);
            shown.flushNow();
            const d = await load(o);
            if (d === undefined) return;
            // Idle, but a run was accepted during that load: follow it at once.
            if (!ACTIVE.has(d.status)) {
              if (o.again) continue;
              return;
            }
          } catch (err) {
            failure = err;
          }
          shown.flushNow();
          if (signal.aborted) return;
          if (failure !== undefined && !retryable(failure)) return report(o, failure);
          attempt += 1;
          const wait = reconnectDelay(attempt);
          if (failure !== undefined) {
            lost = true;
            setError(`Lost the event stream (${messageOf(failure)}); reconnecting in ${Math.round(wait / 1000)} s…`);
          }
          await sleep(wait, signal);
        }
      } finally {
        clearTimeout(debounce);
        shown.flushNow();
        o.following = false;
        if (current.current === o) setRunning(false);
      }
    },
    [api, load],
  );

  const open = useCallback(
    (id: string) => {
      const o = begin(id)!;
      // A busy or restarting server must not leave a running session without its live events:
      // follow anyway, and the follow's own detail load catches up.
      void load(o)
        .then(
          () => follow(o),
          (err: unknown) => {
            report(o, err);
            if (retryable(err)) return follow(o, true);
          },
        )
        .catch((err: unknown) => report(o, err));
    },
    [load, follow],
  );

  const submit = async (task: Task): Promise<boolean> => {
    if (!api) return false;
    const from = current.current;
    setError(undefined);
    let id = from?.id;
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
      setBusy(undefined);
      // The person may have opened another session meanwhile: their last click wins, and the run
      // just queued waits in the list.
      if (current.current !== from) return true;
      const o = from?.id === accepted.session_id ? from : begin(accepted.session_id)!;
      void follow(o);
      return true;
    } catch (err) {
      setBusy(undefined);
      setError(err instanceof ApiError && err.status === 400 ? `The API refused the task: ${err.message}` : messageOf(err));
      return false;
    }
  };

  const cancel = async () => {
    const o = current.current;
    if (!api || !o) return;
    await api.json('POST', `/sessions/${encodeURIComponent(o.id)}/cancel`).catch((err: unknown) => report(o, err));
  };

  const answer = async (requestId: string, decision: 'allow' | 'deny') => {
    const o = current.current;
    if (!api || !o) return;
    const path = `/sessions/${encodeURIComponent(o.id)}/permissions/${encodeURIComponent(requestId)}`;
    await api.json('POST', path, { decision }).catch((err: unknown) => report(o, err));
  };

  const refresh = async () => {
    const o = current.current;
    if (o) await load(o).catch((err: unknown) => report(o, err));
  };

  useEffect(() => () => current.current?.ctl.abort(), []);
  const files = useMemo(() => filesOf(detail, events), [detail, events]);
  const active = running || (detail !== undefined && ACTIVE.has(detail.status));
  return {
    sessionId,
    events,
    detail,
    files,
    running: active,
    busy,
    error,
    open,
    clear: () => void begin(undefined),
    submit,
    cancel,
    answer,
    refresh,
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Runs `run` at the next animation frame; returns its cancel. */
function nextFrame(run: () => void): () => void {
  const frame = requestAnimationFrame(run);
  return () => cancelAnimationFrame(frame);
}

/** A fresh session id for uploads before the first run; `crypto.randomUUID` exists only on https and localhost. */
function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

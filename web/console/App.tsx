/** The console: the key, the sessions, the open session's run and files, and the task form. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { forgetApiKey, loadApiKey, saveApiKey } from '../shared/api-key.js';
import { Api } from './api.js';
import { FilesPanel } from './FilesPanel.js';
import { KeyDialog } from './KeyDialog.js';
import { RunView } from './RunView.js';
import { SessionList } from './SessionList.js';
import { TaskForm } from './TaskForm.js';
import { useSession } from './use-session.js';

/** The open session is kept in the URL's fragment (never sent to a server), so a reload reopens it. */
const sessionInHash = (): string | undefined => /^#session=([\w.-]+)$/.exec(location.hash)?.[1];

/** The whole console. */
export function App() {
  const [key, setKey] = useState(loadApiKey());
  const [keyOpen, setKeyOpen] = useState(key === undefined);
  const api = useMemo(() => (key ? new Api(key) : undefined), [key]);
  const session = useSession(api);
  const [listVersion, setListVersion] = useState(0);

  useEffect(() => {
    const id = sessionInHash();
    if (api && id) session.open(id);
  }, [api]);
  useEffect(() => {
    const hash = session.sessionId ? `#session=${session.sessionId}` : '';
    if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname);
  }, [session.sessionId]);
  // Re-read the list when a run is queued, starts or ends (its status and prompt change).
  const milestones = session.events.filter((e) => e.type === 'invocation.started' || e.type === 'invocation.completed').length;
  useEffect(() => setListVersion((v) => v + 1), [session.running, session.sessionId, milestones]);

  const save = (k: string, remember: boolean) => {
    saveApiKey(k, remember);
    setKey(loadApiKey());
    setKeyOpen(false);
  };
  const forget = () => {
    forgetApiKey();
    setKey(undefined);
    session.clear();
  };

  return (
    <div class="app">
      <header class="top">
        <h1>Claude Code Agent</h1>
        <div class="row">
          <span class={`key-state ${key ? 'ok' : ''}`}>{key ? 'Key set' : 'No key'}</span>
          <button type="button" onClick={() => setKeyOpen(true)}>
            API key
          </button>
          <a href="/docs">API docs</a>
        </div>
      </header>
      {session.error && (
        <p class="error banner" role="alert">
          {session.error}
        </p>
      )}
      {api ? (
        <div class="layout">
          <SessionList api={api} current={session.sessionId} version={listVersion} onOpen={session.open} onNew={session.clear} />
          <main class="main">
            <TaskForm
              continuing={session.sessionId !== undefined}
              disabled={session.running || session.busy !== undefined}
              onSubmit={session.submit}
            />
            {session.busy && (
              <p class="muted" role="status">
                {session.busy}
              </p>
            )}
            {session.sessionId && (
              <p class="muted session-id">
                Session <code>{session.sessionId}</code>
              </p>
            )}
            {session.sessionId && (
              <RunView events={session.events} running={session.running} onAnswer={session.answer} onCancel={session.cancel} />
            )}
            {session.sessionId && (session.detail || session.files.length > 0) && (
              <FilesPanel key={session.sessionId} api={api} sessionId={session.sessionId} files={session.files} />
            )}
          </main>
        </div>
      ) : (
        <main class="main empty">
          <p>
            Paste an API key to start. An operator makes one with <code>./bin/cca keys create &lt;name&gt;</code>.
          </p>
          <button type="button" class="primary" onClick={() => setKeyOpen(true)}>
            Paste API key
          </button>
        </main>
      )}
      <KeyDialog open={keyOpen} hasKey={key !== undefined} onSave={save} onForget={forget} onClose={() => setKeyOpen(false)} />
    </div>
  );
}

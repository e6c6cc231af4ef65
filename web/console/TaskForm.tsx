/** The task: prompt, options, repository and files. Ctrl/Cmd+Enter submits. */
import { useState } from 'preact/hooks';
import { bodyOf, EMPTY_FIELDS, PERMISSION_MODES, type Task, type TaskFields } from './task.js';

interface Props {
  /** Continuing an open session (no repository: it starts a new one). */
  continuing: boolean;
  disabled: boolean;
  onSubmit(task: Task): Promise<boolean>;
}

/** The task form. */
export function TaskForm({ continuing, disabled, onSubmit }: Props) {
  const [fields, setFields] = useState<TaskFields>(EMPTY_FIELDS);
  const [files, setFiles] = useState<File[]>([]);
  // A new key empties the file input after a submit (its value cannot be set).
  const [filesKey, setFilesKey] = useState(0);
  const set = (name: keyof TaskFields) => (e: Event) => setFields({ ...fields, [name]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e?: Event) => {
    e?.preventDefault();
    if (disabled || fields.prompt.trim() === '') return;
    if (await onSubmit({ body: bodyOf(fields, !continuing), files })) {
      setFields({ ...fields, prompt: '' });
      setFiles([]);
      setFilesKey(filesKey + 1);
    }
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
  };
  return (
    <form class="task" onSubmit={submit} onKeyDown={onKeyDown} aria-label="Task">
      <label for="prompt">{continuing ? 'Continue the session' : 'New task'}</label>
      <textarea
        id="prompt"
        rows={4}
        placeholder="Create a FastAPI server with a health check endpoint"
        value={fields.prompt}
        onInput={set('prompt')}
        aria-describedby="prompt-hint"
      />
      <p id="prompt-hint" class="hint">
        Ctrl+Enter (⌘+Enter) sends.
      </p>
      <details class="options">
        <summary>Options</summary>
        <div class="grid">
          <label>
            Permission mode
            <select value={fields.permission_mode} onChange={set('permission_mode')} aria-describedby="mode-hint">
              {PERMISSION_MODES.map(([value, label]) => (
                <option value={value} key={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Allowed tools
            <input value={fields.allowed_tools} onInput={set('allowed_tools')} placeholder="Bash,Read,Write,Edit,Grep,Glob" />
          </label>
          <label>
            Model
            <input value={fields.model} onInput={set('model')} placeholder="service default" />
          </label>
          <label>
            Max turns
            <input value={fields.max_turns} onInput={set('max_turns')} inputMode="numeric" placeholder="default" />
          </label>
          <label>
            Timeout (s)
            <input value={fields.timeout_s} onInput={set('timeout_s')} inputMode="numeric" placeholder="default" />
          </label>
          <label>
            Budget (USD)
            <input value={fields.max_budget_usd} onInput={set('max_budget_usd')} inputMode="decimal" placeholder="default" />
          </label>
          {!continuing && (
            <>
              <label>
                Repository URL
                <input value={fields.repository_url} onInput={set('repository_url')} placeholder="https://github.com/owner/repo.git" />
              </label>
              <label>
                Branch, tag or commit
                <input value={fields.repository_ref} onInput={set('repository_ref')} placeholder="default branch" />
              </label>
            </>
          )}
        </div>
        <p id="mode-hint" class="hint">
          acceptEdits: the allowed tools, inside the workspace. manual: each tool use waits for Allow or Deny here. acceptAll: anything.
          plan: plans without running. dontAsk: only the allowed tools.
        </p>
      </details>
      <label class="files">
        Files for the workspace
        <input key={filesKey} type="file" multiple onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])} />
      </label>
      <div class="row">
        <button type="submit" class="primary" disabled={disabled || fields.prompt.trim() === ''}>
          {continuing ? 'Continue' : 'Run task'}
        </button>
      </div>
    </form>
  );
}

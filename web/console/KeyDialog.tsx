/** Where a person pastes the API key: a modal dialog (Escape closes it), opened at start without a key. */
import { useEffect, useRef, useState } from 'preact/hooks';

interface Props {
  open: boolean;
  hasKey: boolean;
  onSave(key: string, remember: boolean): void;
  onForget(): void;
  onClose(): void;
}

/** The API key dialog. */
export function KeyDialog({ open, hasKey, onSave, onForget, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const save = (e: Event) => {
    e.preventDefault();
    if (key.trim() === '') return;
    onSave(key, remember);
    setKey('');
  };
  return (
    <dialog ref={dialog} class="key-dialog" aria-labelledby="key-title" onClose={onClose}>
      <form onSubmit={save}>
        <h2 id="key-title">API key</h2>
        <p class="hint">
          Sent only to this service, in the <code>x-api-key</code> header. Kept in this tab until it closes, unless you ask to remember it.
        </p>
        <label for="api-key">Key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="cca_…"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} /> Remember on this device
        </label>
        <div class="row">
          <button type="submit" class="primary" disabled={key.trim() === ''}>
            Use this key
          </button>
          {hasKey && (
            <button type="button" onClick={onForget}>
              Forget key
            </button>
          )}
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
    </dialog>
  );
}

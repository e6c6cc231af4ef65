/** Every file the session stored, each with its download link, and all of them as one zip. */
import { useState } from 'preact/hooks';
import { messageOf, type Api } from './api.js';
import { saveBlob } from './download.js';
import { formatBytes } from './format.js';
import type { SessionDetail, StoredFile } from './types.js';

/** The files of `detail`, latest invocation's version of a path first. */
export function FilesPanel({ api, detail }: { api: Api; detail: SessionDetail }) {
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const files = new Map<string, StoredFile>();
  for (const inv of detail.invocations) for (const f of inv.files) files.set(f.file_name, f);
  const archive = async () => {
    setSaving(true);
    setError(undefined);
    try {
      const res = await api.fetch(`/sessions/${encodeURIComponent(detail.session_id)}/archive`);
      saveBlob(await res.blob(), `${detail.session_id}.zip`);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <section class="files-panel" aria-labelledby="files-title">
      <div class="run-head">
        <h2 id="files-title">Files</h2>
        <button type="button" onClick={() => void archive()} disabled={saving || files.size === 0}>
          {saving ? 'Preparing…' : 'Download all (.zip)'}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {files.size === 0 ? (
        <p class="muted">No stored files yet.</p>
      ) : (
        <ul class="file-list">
          {[...files.values()]
            .sort((a, b) => a.file_name.localeCompare(b.file_name))
            .map((f) => (
              <li key={f.file_name}>
                <a href={f.download_url} download>
                  {f.file_name}
                </a>{' '}
                <span class="muted">{formatBytes(f.size)}</span>
              </li>
            ))}
        </ul>
      )}
    </section>
  );
}

/** Every file the session stored, each with its download link, and all of them as one zip. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, type Api } from './api.js';
import { saveBlob } from './download.js';
import { totalSize } from './files-of.js';
import { formatBytes } from './format.js';
import { safeHref } from './safe-href.js';
import type { StoredFile } from './types.js';

/**
 * Past this size "Download all" warns first: the zip comes with the key in a header, so the tab
 * holds it whole in memory before saving it (a plain link could stream to disk, but would need
 * the key in the URL).
 */
export const LARGE_ARCHIVE_BYTES = 200 * 1024 * 1024;

/** The files of session `sessionId`, sorted by path; keyed by session, so opening another starts afresh. */
export function FilesPanel({ api, sessionId, files }: { api: Api; sessionId: string; files: StoredFile[] }) {
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const bytes = totalSize(files);
  const large = bytes > LARGE_ARCHIVE_BYTES;
  // The zip being fetched: left behind (aborted) when the panel goes, i.e. another session is opened.
  const fetching = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => fetching.current?.abort(), []);
  const archive = async () => {
    const ctl = new AbortController();
    fetching.current = ctl;
    setSaving(true);
    setError(undefined);
    try {
      const res = await api.fetch(`/sessions/${encodeURIComponent(sessionId)}/archive`, { signal: ctl.signal });
      const blob = await res.blob();
      if (!ctl.signal.aborted) saveBlob(blob, `${sessionId}.zip`);
    } catch (err) {
      if (!ctl.signal.aborted) setError(messageOf(err));
    } finally {
      if (!ctl.signal.aborted) setSaving(false);
    }
  };
  return (
    <section class="files-panel" aria-labelledby="files-title">
      <div class="run-head">
        <h2 id="files-title">Files</h2>
        {files.length > 0 && (
          <span class="muted file-total">
            {files.length} file{files.length === 1 ? '' : 's'}, {formatBytes(bytes)}
          </span>
        )}
        <button type="button" onClick={() => void archive()} disabled={saving || files.length === 0}>
          {saving ? 'Preparing…' : 'Download all (.zip)'}
        </button>
      </div>
      {large && (
        <p class="warning" role="note">
          The zip ({formatBytes(bytes)}) is held in this tab's memory until it is saved. For a session this large, download the files one by
          one below, or use <code>GET /sessions/{'{id}'}/archive</code> with a client that writes to disk.
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {files.length === 0 ? (
        <p class="muted">No stored files yet.</p>
      ) : (
        <ul class="file-list">
          {files.map((f) => {
            const href = safeHref(f.download_url, location.href);
            return (
              <li key={f.file_name}>
                {href ? (
                  <a href={href} download>
                    {f.file_name}
                  </a>
                ) : (
                  f.file_name
                )}{' '}
                <span class="muted">{formatBytes(f.size)}</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

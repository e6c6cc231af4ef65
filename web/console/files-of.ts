/** The open session's stored files, from its `file.stored` events and its last loaded detail. */
import type { RunEvent, SessionDetail, StoredFile } from './types.js';

/**
 * One entry per path, the latest stored version winning (as the archive has it). The events say
 * which files exist as they are stored, so the list grows without asking the API; the detail,
 * loaded once a run ends, holds fresher links for the same versions (a replayed event's signed
 * link may have expired), so its link wins for a file stored under the same key.
 */
export function filesOf(detail: SessionDetail | undefined, events: readonly RunEvent[]): StoredFile[] {
  const fresh = new Map<string, StoredFile>();
  const files = new Map<string, StoredFile>();
  for (const inv of detail?.invocations ?? []) {
    for (const f of inv.files) {
      fresh.set(f.key, f);
      files.set(f.file_name, f);
    }
  }
  for (const e of events) {
    if (e.type !== 'file.stored') continue;
    const d = e.data;
    if (typeof d.file_name !== 'string' || typeof d.key !== 'string') continue;
    const stored: StoredFile = {
      file_name: d.file_name,
      key: d.key,
      size: typeof d.size === 'number' ? d.size : 0,
      download_url: typeof d.download_url === 'string' ? d.download_url : '',
      invocation_id: e.invocation_id,
    };
    files.delete(d.file_name); // re-inserted last: the map's order is the order of storing
    files.set(d.file_name, fresh.get(d.key) ?? stored);
  }
  return [...files.values()].sort((a, b) => a.file_name.localeCompare(b.file_name));
}

/** Bytes of all `files` together: what "Download all" assembles. */
export function totalSize(files: readonly StoredFile[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/**
 * The `file.stored` event, built in one place for every producer: the end of a run, the recovery
 * of a run the process died in, and the outbox's later retries all announce a stored file alike.
 */
import type { EventPayload } from '../schemas/events.js';
import type { EventDraft } from './from-sdk.js';

/**
 * The `file.stored` draft of a stored file. Only the event's own fields are copied: the files given
 * here carry more (links, ids of the invocation) that the event does not promise.
 * @example events.emit(sessionId, invocationId, fileStoredEvent(file));
 */
export function fileStoredEvent(file: EventPayload<'file.stored'>): Extract<EventDraft, { type: 'file.stored' }> {
  return {
    type: 'file.stored',
    data: { file_name: file.file_name, size: file.size, key: file.key, download_url: file.download_url },
  };
}

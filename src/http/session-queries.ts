/**
 * The query strings of the session reads, shared by the local gateway's declarations and the API
 * Lambda, so both validate the same way and answer the same 400s; and the sessions list's cursor,
 * which both spell the same way.
 */
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { FILE_LIST_KINDS } from '../schemas/responses.js';

export const SESSIONS_LIMIT_MESSAGE = 'limit must be an integer from 1 to 100.';
export const FILES_LIMIT_MESSAGE = 'files_limit must be an integer from 0 to 1000.';
export const FILES_PAGE_LIMIT_MESSAGE = 'limit must be an integer from 1 to 1000.';
export const CURSOR_MESSAGE = 'cursor is not one this API returned; pass next_cursor from the previous page unchanged.';
export const KIND_MESSAGE = `kind must be one of ${FILE_LIST_KINDS.join(', ')}.`;
export const PERMISSION_BODY_MESSAGE = 'The body must be {"decision": "allow" | "deny", "message"?: string}.';

const cursor = z.string({ error: CURSOR_MESSAGE }).optional().meta({ description: '`next_cursor` of the previous page.' });

/** `GET /sessions?limit=&cursor=`. */
export const ListSessionsQuery = z.object({
  limit: z.coerce
    .number({ error: SESSIONS_LIMIT_MESSAGE })
    .int(SESSIONS_LIMIT_MESSAGE)
    .min(1, SESSIONS_LIMIT_MESSAGE)
    .max(100, SESSIONS_LIMIT_MESSAGE)
    .default(20)
    .meta({ description: 'Sessions per page.' }),
  cursor,
});

/** `GET /sessions/{session_id}?files_limit=`. */
export const SessionDetailQuery = z.object({
  files_limit: z.coerce
    .number({ error: FILES_LIMIT_MESSAGE })
    .int(FILES_LIMIT_MESSAGE)
    .min(0, FILES_LIMIT_MESSAGE)
    .max(1000, FILES_LIMIT_MESSAGE)
    .default(100)
    .meta({ description: 'Entries of each file list shown per invocation.' }),
});

/** `GET /sessions/{session_id}/files?invocation_id=&kind=&limit=&cursor=`. */
export const SessionFilesQuery = z.object({
  invocation_id: z.string().optional().meta({ description: 'Only this invocation of the session.' }),
  kind: z
    .enum(FILE_LIST_KINDS, { error: KIND_MESSAGE })
    .default('uploaded')
    .meta({ description: '`uploaded` (stored files), `skipped` or `failed`.' }),
  limit: z.coerce
    .number({ error: FILES_PAGE_LIMIT_MESSAGE })
    .int(FILES_PAGE_LIMIT_MESSAGE)
    .min(1, FILES_PAGE_LIMIT_MESSAGE)
    .max(1000, FILES_PAGE_LIMIT_MESSAGE)
    .default(100)
    .meta({ description: 'Entries per page.' }),
  cursor,
});

/** Where a page of the sessions list starts: after this session. */
export interface SessionCursor {
  createdAt: string;
  id: string;
}

/**
 * The sessions list's `next_cursor`: the last session of a page (its creation time and id).
 * @example encodeSessionCursor({ createdAt: row.created_at, id: row.id })
 */
export function encodeSessionCursor(at: SessionCursor): string {
  return Buffer.from(JSON.stringify([at.createdAt, at.id])).toString('base64url');
}

/** Reads a `cursor` back; undefined when absent, 400 when it is not one this API returned. */
export function decodeSessionCursor(raw: string | undefined): SessionCursor | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') return { createdAt: value[0], id: value[1] };
  } catch {
    // Falls through to the error below.
  }
  throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
}

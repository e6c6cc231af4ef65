/**
 * `GET /sessions/{session_id}/files` on AWS: the stored, skipped or failed files of a session's
 * invocations (or of one), oldest invocation first, a page at a time, from the invocation records
 * the runtime mirrors. A record carries each list as the invocation's output does: its first
 * CCA_MAX_LISTED_FILES (1000) entries; `files_truncated` and the totals say when there were more,
 * which are in the bucket (`cca download`) but not listed here.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { CURSOR_MESSAGE, SessionFilesQuery } from '../http/index.js';
import type { FailedUpload, SessionFilesPage, SkippedFile, UploadedFile } from '../schemas/responses.js';
import type { InvocationRecord } from '../state/index.js';
import type { LambdaDeps } from './deps.js';
import { jsonResult } from './http.js';
import { parseQuery } from './query.js';
import { relinkWith } from './session-detail.js';
import { readInvocations, readState } from './session-records.js';
import { ownedSession } from './sessions.js';

type Kind = SessionFilesPage['kind'];
type Entry = UploadedFile | SkippedFile | FailedUpload;

/** Handles `GET /sessions/{session_id}/files` for the caller `keyId`. */
export async function sessionFiles(
  event: APIGatewayProxyEvent,
  sessionId: string,
  keyId: string,
  deps: LambdaDeps,
): Promise<APIGatewayProxyResult> {
  const { objects, config } = deps;
  await ownedSession(sessionId, keyId, deps);
  const { invocation_id: invocationId, kind, limit, cursor } = parseQuery(SessionFilesQuery, event);
  const all = await readInvocations(objects, config.prefix, sessionId, await readState(objects, config.prefix, sessionId));
  const invocations = invocationId === undefined ? all : all.filter((inv) => inv.invocation_id === invocationId);
  if (invocationId !== undefined && invocations.length === 0) {
    throw new NotFoundError(`Invocation ${invocationId} was not found in session ${sessionId}.`);
  }
  const { entries, next } = pageOf(invocations, kind, limit, decodeCursor(cursor));
  const relink = relinkWith(deps.store);
  const files = await Promise.all(
    entries.map(async ({ entry, invocation }) => {
      // Stored links expire: every read gets fresh ones.
      const fresh = kind === 'uploaded' ? await relink(entry as UploadedFile) : entry;
      return { ...fresh, invocation_id: invocation };
    }),
  );
  const body: SessionFilesPage = {
    session_id: sessionId,
    invocation_id: invocationId ?? null,
    kind,
    files,
    next_cursor: next === undefined ? null : encodeCursor(next),
  };
  return jsonResult(200, body);
}

/** Where a page starts: an invocation, and the entry of its list. */
interface Position {
  invocation: string;
  index: number;
}

function pageOf(
  invocations: InvocationRecord[],
  kind: Kind,
  limit: number,
  from: Position | undefined,
): { entries: { entry: Entry; invocation: string }[]; next: Position | undefined } {
  let at = from === undefined ? 0 : invocations.findIndex((inv) => inv.invocation_id === from.invocation);
  if (at < 0) throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
  let index = from?.index ?? 0;
  const entries: { entry: Entry; invocation: string }[] = [];
  for (; at < invocations.length; at++, index = 0) {
    const inv = invocations[at] as InvocationRecord;
    const list = listOf(inv, kind);
    for (; index < list.length; index++) {
      if (entries.length === limit) return { entries, next: { invocation: inv.invocation_id, index } };
      entries.push({ entry: list[index] as Entry, invocation: inv.invocation_id });
    }
  }
  return { entries, next: undefined };
}

function listOf(inv: InvocationRecord, kind: Kind): Entry[] {
  const meta = inv.output?.output.metadata;
  if (meta === undefined) return [];
  if (kind === 'uploaded') return meta.uploaded_files;
  if (kind === 'failed') return meta.failed_uploads;
  // Entries recorded before `file_name` was added have only `path`.
  return meta.skipped_files.map((s) => ({ ...s, file_name: s.file_name ?? s.path }));
}

// Positions in lists anyone may read in full: nothing to hide, so plain base64url JSON.
function encodeCursor(at: Position): string {
  return Buffer.from(JSON.stringify(['f', at.invocation, at.index])).toString('base64url');
}

function decodeCursor(raw: string | undefined): Position | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value[0] === 'f' && typeof value[1] === 'string' && Number.isSafeInteger(value[2]) && value[2] >= 0) {
      return { invocation: value[1], index: value[2] as number };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
}

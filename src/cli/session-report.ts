/**
 * What `cca sessions` and `cca session` print: the list as a table, one session with its
 * invocations, and the refusals of the session routes as sentences.
 */
import { z } from 'zod';
import { describeHttpError, formatBytes } from './api-report.js';
import type { HttpReply } from './http-request.js';
import { formatTable, oneLine, plural } from './table.js';

/** A session in a list; lenient, so a newer service's extra fields and statuses still print. */
export const SessionRow = z.looseObject({
  session_id: z.string(),
  status: z.string(),
  created_at: z.string(),
  updated_at: z.string().optional(),
  invocation_count: z.number(),
  last_prompt: z.string().nullish(),
});
export type SessionRow = z.infer<typeof SessionRow>;

/** One page of `GET /sessions`. */
export const SessionPage = z.object({ sessions: z.array(SessionRow), next_cursor: z.string().nullish() });

const InvocationRow = z.looseObject({
  invocation_id: z.string(),
  status: z.string(),
  prompt: z.string(),
  started_at: z.string(),
  ended_at: z.string().nullish(),
  success: z.boolean().nullish(),
  result: z.string().nullish(),
  stop_reason: z.string().nullish(),
  model: z.string().nullish(),
  cost_usd: z.number().nullish(),
  num_turns: z.number().nullish(),
  duration_ms: z.number().nullish(),
  files: z.array(z.object({ file_name: z.string(), size: z.number().optional(), download_url: z.string().optional() })).default([]),
  skipped_files: z.array(z.object({ path: z.string(), reason: z.string(), detail: z.string().optional() })).default([]),
  files_total: z.number().optional(),
  skipped_files_total: z.number().optional(),
  errors: z.array(z.string()).default([]),
});

/** `GET /sessions/{id}`. */
export const SessionDetail = SessionRow.extend({ invocations: z.array(InvocationRow) });
export type SessionDetail = z.infer<typeof SessionDetail>;

/** Statuses in which an invocation may still produce events. */
export const LIVE_STATUSES: readonly string[] = ['queued', 'running'];

/**
 * The sessions as a table, newest first.
 * @example renderSessionList(page.sessions)
 */
export function renderSessionList(rows: SessionRow[]): string {
  if (rows.length === 0) return 'No sessions yet. Start one with: cca invoke "Create a hello world Python script"\n';
  return formatTable(
    [{ header: 'SESSION' }, { header: 'STATUS' }, { header: 'CREATED' }, { header: 'INVOCATIONS', right: true }, { header: 'LAST PROMPT' }],
    rows.map((s) => [s.session_id, s.status, shortTime(s.created_at), String(s.invocation_count), oneLine(s.last_prompt ?? '', 50)]),
  );
}

/**
 * A session and each of its invocations: status, prompt, result, cost, turns, files with links.
 * @example io.stdout(renderSessionDetail(detail));
 */
export function renderSessionDetail(s: SessionDetail): string {
  const lines = [
    `Session ${s.session_id}: ${s.status}`,
    `  created:      ${shortTime(s.created_at)}`,
    ...(s.updated_at ? [`  updated:      ${shortTime(s.updated_at)}`] : []),
    `  invocations:  ${s.invocation_count}`,
  ];
  s.invocations.forEach((inv, i) => {
    const ended = inv.ended_at ? ` → ${shortTime(inv.ended_at)}` : '';
    lines.push(
      '',
      `${i + 1}. ${inv.invocation_id}: ${inv.status}${inv.stop_reason ? ` (${inv.stop_reason})` : ''}, ${shortTime(inv.started_at)}${ended}`,
    );
    lines.push(`   prompt:  ${oneLine(inv.prompt, 200)}`);
    if (inv.result) lines.push(`   result:  ${oneLine(inv.result, 400)}`);
    const facts = [
      inv.model ? `model ${inv.model}` : undefined,
      inv.cost_usd == null ? undefined : `cost $${inv.cost_usd.toFixed(4)}`,
      inv.num_turns == null ? undefined : plural(inv.num_turns, 'turn'),
      inv.duration_ms == null ? undefined : `${(inv.duration_ms / 1000).toFixed(1)} s`,
    ].filter((f) => f !== undefined);
    if (facts.length > 0) lines.push(`   ${facts.join(', ')}`);
    const total = inv.files_total ?? inv.files.length;
    if (inv.files.length > 0) lines.push(`   files (${total > inv.files.length ? `${total}, first ${inv.files.length} shown` : total}):`);
    const width = Math.max(0, ...inv.files.map((f) => f.file_name.length));
    for (const f of inv.files) {
      const size = f.size === undefined ? '' : formatBytes(f.size);
      lines.push(`     ${f.file_name.padEnd(width)}  ${size.padStart(9)}  ${f.download_url ?? ''}`.trimEnd());
    }
    for (const f of inv.skipped_files) lines.push(`   skipped ${f.path}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`);
    const moreSkipped = (inv.skipped_files_total ?? 0) - inv.skipped_files.length;
    if (moreSkipped > 0) lines.push(`   ... and ${moreSkipped} more skipped`);
    for (const e of inv.errors) lines.push(`   error: ${oneLine(e, 400)}`);
  });
  return `${lines.join('\n')}\n`;
}

/**
 * A non-2xx answer of a session route: 404 names the session, anything else as `cca api` says it.
 * @example describeSessionError(reply, 'sess_1', url, new Date())
 */
export function describeSessionError(reply: HttpReply, sessionId: string, url: URL, now: Date): string {
  if (reply.status === 404) return `Session ${sessionId} was not found (404): list yours with cca sessions.`;
  return describeHttpError(reply, url.href, now);
}

/** The message field of a JSON error body, if there is one. */
export function messageOf(reply: HttpReply): string | undefined {
  try {
    const body: unknown = JSON.parse(reply.text);
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON.
  }
  return undefined;
}

/** `2025-06-01T18:00:00.123Z` → `2025-06-01 18:00:00Z`; anything else as it is. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

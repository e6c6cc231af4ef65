/**
 * What `cca api` prints: an invocation result for a person, and every way a request can fail as
 * one sentence that says what to do. The gateway answers API Gateway's own bodies
 * (`{"message":"Forbidden"}`, ...), so the same messages work against the original's deployment.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { HttpReply } from './http-request.js';
import { EXIT, type CliIo } from './io.js';
import { plural } from './table.js';

const StoredFile = z.object({
  file_name: z.string(),
  size: z.number().optional(),
  download_url: z.string().optional(),
  s3_url: z.string().optional(),
});

/** The parts of an invocation result the CLI shows; lenient, so the seed's thinner response works too. */
export const InvocationResult = z.object({
  success: z.boolean(),
  result: z.string().optional(),
  session_id: z.string().optional(),
  invocation_id: z.string().optional(),
  model: z.string().nullish(),
  stop_reason: z.string().optional(),
  cost_usd: z.number().optional(),
  errors: z.array(z.string()).optional(),
  changes: z
    .object({
      files: z.array(
        z.object({
          path: z.string(),
          status: z.string(),
          from: z.string().optional(),
          binary: z.boolean().optional(),
          additions: z.number().optional(),
          deletions: z.number().optional(),
        }),
      ),
      files_total: z.number(),
      counts: z.record(z.string(), z.number()).optional(),
      patch: z.object({ download_url: z.string().optional(), size: z.number().optional() }).nullish(),
      patch_note: z.string().optional(),
    })
    .optional(),
  push: z
    .object({
      branch: z.string(),
      status: z.string(),
      commit: z.string().nullish(),
      error: z.string().optional(),
      pull_request: z.object({ status: z.string(), url: z.string().optional(), error: z.string().optional() }).optional(),
    })
    .optional(),
  session_state: z
    .object({
      generation: z.number().nullable(),
      restored: z.object({ generation: z.number(), fetched_files: z.number(), duration_ms: z.number() }).nullable(),
      saved: z.object({ generation: z.number(), uploaded_files: z.number(), duration_ms: z.number() }).nullable(),
    })
    .optional(),
  metadata: z
    .object({
      duration_ms: z.number().optional(),
      num_turns: z.number().optional(),
      storage_prefix: z.string().optional(),
      uploaded_files: z.array(StoredFile).optional(),
      skipped_files: z.array(z.object({ path: z.string(), reason: z.string(), detail: z.string().optional() })).optional(),
      failed_uploads: z.array(z.object({ file_name: z.string(), error: z.string() })).optional(),
      uploaded_files_total: z.number().optional(),
      skipped_files_total: z.number().optional(),
      failed_uploads_total: z.number().optional(),
    })
    .optional(),
});
export type InvocationResult = z.infer<typeof InvocationResult>;

/** Parses a 2xx body: `{"output": {...}}` (our runtime and the seed) or the bare object; undefined if neither. */
export function parseOutput(text: string): InvocationResult | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const wrapped = z.object({ output: InvocationResult }).safeParse(body);
  if (wrapped.success) return wrapped.data.output;
  const bare = InvocationResult.safeParse(body);
  return bare.success ? bare.data : undefined;
}

/** How `printResult` prints. */
export interface PrintOptions {
  json: boolean;
  /** Who answered, for a message about a body that is not a result. */
  source: string;
  /** The command to continue the session with (`invoke`, `api`). */
  command: string;
  /** The service's files route for a session, to say how to list all of a long list. */
  filesUrl?: (sessionId: string, invocationId: string) => string;
}

/**
 * Prints an invocation's response body (JSON text) as `cca api` does and returns the exit status:
 * 0 success, 3 the run did not succeed, 1 the body is not an invocation result. `--json` prints
 * the body as received.
 * @example return printResult(io, reply.text, { json: false, source: 'http://127.0.0.1:8080/invoke answered 200', command: 'api' });
 */
export function printResult(io: CliIo, text: string, opts: PrintOptions): number {
  if (opts.json) io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const output = parseOutput(text);
  if (output === undefined) {
    io.stderr(`cca: ${opts.source} with a body that is not an invocation result: ${text.slice(0, 300)}\n`);
    return EXIT.failure;
  }
  if (!opts.json) io.stdout(renderOutput(output, opts.command, opts.filesUrl));
  if (!output.success) {
    io.stderr(renderErrors(output));
    return EXIT.runFailed;
  }
  return EXIT.ok;
}

/** The result text, then the run's facts, then the files it stored (the first few, and a sum) and skipped. */
export function renderOutput(out: InvocationResult, command = 'api', filesUrl?: PrintOptions['filesUrl']): string {
  const lines: string[] = [];
  const result = out.result?.trimEnd() ?? '';
  // A failed run's result is often its error again, which stderr gets: say it once.
  const repeated = !out.success && result !== '' && (out.errors ?? []).some((e) => e.includes(result.trim()));
  if (result !== '' && !repeated) lines.push(result, '');
  const stop = out.stop_reason && out.stop_reason !== 'success' ? ` (${out.stop_reason})` : '';
  lines.push(out.success ? 'Success.' : `Failed${stop}.`);
  const meta = out.metadata ?? {};
  const facts: [string, string | undefined][] = [
    ['session', out.session_id],
    ['model', out.model ?? undefined],
    ['duration', meta.duration_ms === undefined ? undefined : `${(meta.duration_ms / 1000).toFixed(1)} s`],
    ['turns', meta.num_turns === undefined ? undefined : String(meta.num_turns)],
    ['cost', out.cost_usd === undefined ? undefined : `$${out.cost_usd.toFixed(4)}`],
    ['saved', savedLine(out.session_state)],
  ];
  for (const [label, value] of facts) if (value !== undefined) lines.push(`  ${`${label}:`.padEnd(10)}${value}`);

  lines.push(...renderStoredFiles(out, filesUrl));
  // Lists are capped: the header counts them all, the lines show the first ones.
  const of = (listed: number, total: number | undefined) =>
    total !== undefined && total > listed ? `${total}, first ${listed} shown` : `${listed}`;
  const skipped = meta.skipped_files ?? [];
  if (skipped.length > 0) lines.push(`Skipped files (${of(skipped.length, meta.skipped_files_total)}):`);
  for (const s of skipped.slice(0, FILES_SHOWN)) lines.push(`  ${s.path}: ${s.reason}${s.detail ? ` (${s.detail})` : ''}`);
  if (skipped.length > FILES_SHOWN) lines.push(`  ... and ${(meta.skipped_files_total ?? skipped.length) - FILES_SHOWN} more`);
  const failed = meta.failed_uploads ?? [];
  if (failed.length > 0) lines.push(`Not stored (${of(failed.length, meta.failed_uploads_total)}, still in the session's workspace):`);
  for (const f of failed.slice(0, FILES_SHOWN)) lines.push(`  ${f.file_name}: ${f.error}`);
  if (failed.length > FILES_SHOWN) lines.push(`  ... and ${(meta.failed_uploads_total ?? failed.length) - FILES_SHOWN} more`);
  lines.push(...renderChanges(out));
  if (out.session_id) lines.push(`Continue this session: cca ${command} "..." --session ${out.session_id}`);
  return `${lines.join('\n')}\n`;
}

/** Stored files shown one per line (live and in the result); a longer list is counted, summed and pointed to. */
export const FILES_SHOWN = 10;

/**
 * The stored files: a header with their count and total size, the first few with their links,
 * and for a longer list the commands that list or download them all.
 */
function renderStoredFiles(out: InvocationResult, filesUrl: PrintOptions['filesUrl']): string[] {
  const meta = out.metadata ?? {};
  const files = meta.uploaded_files ?? [];
  if (files.length === 0) return ['No files stored.'];
  const total = Math.max(meta.uploaded_files_total ?? 0, files.length);
  const bytes = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  // Sizes are known for the listed files only (the output lists the first 1000).
  const size = files.every((f) => f.size !== undefined)
    ? `, ${formatBytes(bytes)}${total > files.length ? ` in the first ${files.length}` : ''}`
    : '';
  const where = meta.storage_prefix ? ` under ${meta.storage_prefix}` : '';
  const lines = [`Stored files (${total}${size})${where}:`];
  const shown = files.slice(0, FILES_SHOWN);
  const nameWidth = Math.max(0, ...shown.map((f) => f.file_name.length));
  for (const f of shown) {
    const fileSize = f.size === undefined ? '' : formatBytes(f.size);
    lines.push(`  ${f.file_name.padEnd(nameWidth)}  ${fileSize.padStart(9)}  ${f.download_url ?? f.s3_url ?? ''}`.trimEnd());
  }
  if (total <= shown.length) return lines;
  lines.push(`  ... and ${total - shown.length} more.`);
  if (out.session_id !== undefined && out.invocation_id !== undefined && filesUrl !== undefined) {
    const url = filesUrl(out.session_id, out.invocation_id);
    lines.push(`List them all (1000 a page, next_cursor for the next): curl -s '${url}' -H "x-api-key: $CCA_API_KEY"`);
  }
  if (meta.storage_prefix) {
    lines.push(`Download them all (from the service's data dir or bucket): cca download ${meta.storage_prefix.replace(/^outputs\//, '')}`);
  }
  return lines;
}

const LETTER: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R' };

/** Where the session stands in the session store, when durable state is on. */
function savedLine(state: InvocationResult['session_state']): string | undefined {
  if (state === undefined) return undefined;
  const restored = state.restored
    ? `, restored from generation ${state.restored.generation} first (${plural(state.restored.fetched_files, 'file')} fetched)`
    : '';
  if (state.saved === null) return `not saved${restored}`;
  return `generation ${state.saved.generation} (${plural(state.saved.uploaded_files, 'file')} uploaded, ${state.saved.duration_ms} ms)${restored}`;
}

/** What the run changed, its patch, and the branch it pushed. */
function renderChanges(out: InvocationResult): string[] {
  const lines: string[] = [];
  const changes = out.changes;
  if (changes !== undefined && changes.files_total > 0) {
    const counts = Object.entries(changes.counts ?? {})
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    lines.push(`Changes (${changes.files_total}${counts ? `: ${counts}` : ''}):`);
    for (const c of changes.files.slice(0, FILES_SHOWN)) {
      const stat = c.binary ? 'binary' : c.status === 'deleted' ? '' : `+${c.additions ?? 0} -${c.deletions ?? 0}`;
      lines.push(`  ${LETTER[c.status] ?? '?'} ${c.from !== undefined ? `${c.from} -> ` : ''}${c.path}  ${stat}`.trimEnd());
    }
    if (changes.files_total > FILES_SHOWN) lines.push(`  ... and ${changes.files_total - FILES_SHOWN} more (all of them are in the patch)`);
    if (changes.patch?.download_url) lines.push(`Patch (git apply): ${changes.patch.download_url}`);
    else if (changes.patch_note) lines.push(`No patch: ${changes.patch_note}`);
  }
  const push = out.push;
  if (push !== undefined) {
    if (push.status === 'pushed') lines.push(`Pushed ${push.branch} at ${push.commit ?? '?'}`);
    else lines.push(`Not pushed (${push.status})${push.error ? `: ${push.error}` : ''}`);
    const pr = push.pull_request;
    if (pr?.url) lines.push(`Pull request${pr.status === 'existing' ? ' (already open)' : ''}: ${pr.url}`);
    else if (pr) lines.push(`No pull request (${pr.status})${pr.error ? `: ${pr.error}` : ''}`);
  }
  return lines;
}

/** The errors of a run that ended with `success: false`, for stderr. */
export function renderErrors(out: InvocationResult): string {
  const errors = out.errors ?? [];
  if (errors.length === 0) return `cca: the run did not succeed${out.stop_reason ? ` (${out.stop_reason})` : ''}.\n`;
  return errors.map((e) => `cca: run error: ${e}\n`).join('');
}

/** One sentence for a non-2xx answer: what happened and what to do about it. */
export function describeHttpError(reply: HttpReply, endpoint: string, now: Date): string {
  const message = serverMessage(reply);
  const status = `${reply.status} ${STATUS_CODES[reply.status] ?? ''}`.trimEnd();
  const retryAfterS = parseRetryAfter(reply.headers['retry-after'], now);
  if (reply.status === 403) {
    const said = message === 'Forbidden' || message === '' ? '' : ` The service said: ${message}`;
    return `The API key was refused (403 Forbidden): check --api-key / CCA_API_KEY / .api_key, or create one with cca keys create.${said}`;
  }
  if (reply.status === 402) {
    const reset = retryAfterS === undefined ? '' : ` It resets in ${formatDuration(retryAfterS)}.`;
    return `The API key's budget is spent (402 Payment Required): ${sentence(message || 'no run starts until it resets')}${reset}`;
  }
  if (reply.status === 429 && message === 'Limit Exceeded') {
    const reset = retryAfterS === undefined ? nextUtcMidnight(now) : new Date(now.getTime() + retryAfterS * 1000);
    return (
      `The API key's daily quota is used up (429 Limit Exceeded): it resets at ${reset.toISOString()} ` +
      `(in ${formatDuration((reset.getTime() - now.getTime()) / 1000)}). Use another key, or create one with a larger --quota.`
    );
  }
  if (reply.status === 429) {
    const wait = retryAfterS === undefined ? 'in a few seconds' : `after ${formatDuration(retryAfterS)} (Retry-After: ${retryAfterS})`;
    return `Rate limit reached for this API key (429 ${message || 'Too Many Requests'}): retry ${wait}.`;
  }
  if (reply.status === 404) return `${endpoint} answered ${status}: ${sentence(message || 'not found')} Is it the service's /invoke URL?`;
  if (reply.status >= 500) {
    const retry = retryAfterS === undefined ? '' : ` Retry in ${formatDuration(retryAfterS)}.`;
    return `The service failed (${status}): ${sentence(message || 'no message')}${retry}`;
  }
  return `${status}: ${sentence(message || 'the service gave no reason')}`;
}

/** A request that got no answer at all. */
export function describeNetworkError(err: unknown, endpoint: string): string {
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return `Cannot reach ${endpoint}: is the service running (npm start)?`;
  const detail = err instanceof Error && err.message !== '' ? err.message : (code ?? String(err));
  return `Cannot reach ${endpoint}: ${detail}`;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  if ('code' in err && typeof err.code === 'string') return err.code;
  // Happy Eyeballs (localhost → ::1 and 127.0.0.1) fails with an AggregateError of both attempts.
  if (err instanceof AggregateError) return errorCode(err.errors[0]);
  return undefined;
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function serverMessage(reply: HttpReply): string {
  try {
    const body: unknown = JSON.parse(reply.text);
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON (a proxy's HTML page, say): show its start.
  }
  return reply.text.trim().slice(0, 300);
}

/** Retry-After in seconds: either delta-seconds or an HTTP date. */
function parseRetryAfter(raw: string | string[] | undefined, now: Date): number | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min ${s % 60} s`;
}

/** 1234 → "1.2 KiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

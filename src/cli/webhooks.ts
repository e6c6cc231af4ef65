/**
 * `cca webhooks list SESSION_ID`: the deliveries of a session's webhooks, with their state and
 * attempts. `cca webhooks verify`: checks a delivery's signature with a secret, as a receiver would
 * (the headers given one by one or in a file, the body from a file or stdin).
 */
import fs from 'node:fs';
import { z } from 'zod';
import { positiveInteger } from './api.js';
import { callService, resolveConnection, serviceUrl, sessionRoute, type ConnectionFlags } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import { isOk } from './http-request.js';
import { EXIT, UsageError } from './io.js';
import { describeSessionError, messageOf } from './session-report.js';
import { sessionIdOf } from './session.js';
import { formatTable, oneLine } from './table.js';
import { TIMESTAMP_TOLERANCE_S, verifySignature } from '../webhooks/secret.js';

type ListFlags = ConnectionFlags & { invocation?: string; limit?: string; json?: boolean };

/** A delivery as listed; lenient, so a newer service's extra fields still print. */
const DeliveryRow = z.looseObject({
  id: z.string(),
  invocation_id: z.string(),
  type: z.string(),
  url: z.string(),
  state: z.string(),
  attempts: z.number(),
  max_attempts: z.number().optional(),
  created_at: z.string(),
  last_status: z.number().nullish(),
  last_error: z.string().nullish(),
  next_attempt_at: z.string().nullish(),
  delivered_at: z.string().nullish(),
});
const DeliveryPage = z.object({ deliveries: z.array(DeliveryRow), next_cursor: z.string().nullish() });

/** Runs `cca webhooks list SESSION_ID`: 0 listed, 1 the request failed, 2 usage. */
export async function runWebhooksList({ values, positionals }: CommandInput<ListFlags>, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const now = ctx.now ?? (() => new Date());
  const sessionId = sessionIdOf(positionals, 'webhooks list');
  const limit = values.limit === undefined ? undefined : positiveInteger('--limit', values.limit);
  if (limit !== undefined && limit > 100) throw new UsageError(`--limit must be at most 100; got ${limit}.`);
  const conn = resolveConnection(values, ctx.env, ctx.cwd);
  const url = serviceUrl(conn, sessionRoute(sessionId, '/webhooks'), { invocation_id: values.invocation, limit: limit?.toString() });
  const reply = await callService(io, conn, url, { method: 'GET' });
  if (reply === undefined) return EXIT.failure;
  if (!isOk(reply)) {
    io.stderr(`cca: ${describeSessionError(reply, sessionId, url, now())}\n`);
    return EXIT.failure;
  }
  if (values.json) {
    io.stdout(`${reply.text.trimEnd()}\n`);
    return EXIT.ok;
  }
  let page: z.infer<typeof DeliveryPage>;
  try {
    page = DeliveryPage.parse(JSON.parse(reply.text));
  } catch {
    io.stderr(`cca: ${url.href} answered ${reply.status} with a body that is not a list of deliveries: ${reply.text.slice(0, 300)}\n`);
    return EXIT.failure;
  }
  if (page.deliveries.length === 0) {
    io.stdout(`No webhook deliveries in session ${sessionId}. A request sends some with "webhook": {"url": "https://..."}.\n`);
    return EXIT.ok;
  }
  io.stdout(
    formatTable(
      [
        { header: 'WEBHOOK-ID' },
        { header: 'TYPE' },
        { header: 'STATE' },
        { header: 'ATTEMPTS', right: true },
        { header: 'LAST' },
        { header: 'WHEN' },
        { header: 'URL' },
      ],
      page.deliveries.map((d) => [
        d.id,
        d.type,
        d.state,
        d.max_attempts === undefined ? String(d.attempts) : `${d.attempts}/${d.max_attempts}`,
        d.last_status == null ? (d.last_error ? 'error' : '-') : String(d.last_status),
        d.state === 'pending' ? `next ${short(d.next_attempt_at)}` : d.state === 'delivered' ? short(d.delivered_at) : short(d.created_at),
        oneLine(d.url, 60),
      ]),
    ),
  );
  for (const d of page.deliveries.filter((d) => d.last_error)) io.stdout(`${d.id}: ${oneLine(d.last_error as string, 300)}\n`);
  if (page.next_cursor)
    io.stdout(`More: GET ${serviceUrl(conn, sessionRoute(sessionId, '/webhooks')).pathname}?cursor=${page.next_cursor}\n`);
  return EXIT.ok;
}

/** Runs `cca webhooks retry SESSION_ID WEBHOOK_ID`: 0 pending again, 1 refused (no such delivery, pending already) or failed, 2 usage. */
export async function runWebhooksRetry(
  { values, positionals }: CommandInput<ConnectionFlags & { json?: boolean }>,
  ctx: CommandContext,
): Promise<number> {
  const { io } = ctx;
  const now = ctx.now ?? (() => new Date());
  const [sessionId, webhookId, ...extra] = positionals;
  if (sessionId === undefined || webhookId === undefined || extra.length > 0) {
    throw new UsageError(
      'give the session and the delivery: cca webhooks retry SESSION_ID WEBHOOK_ID (cca webhooks list SESSION_ID shows the ids).',
    );
  }
  const conn = resolveConnection(values, ctx.env, ctx.cwd);
  const url = serviceUrl(conn, sessionRoute(sessionId, `/webhooks/${encodeURIComponent(webhookId)}/retry`));
  const reply = await callService(io, conn, url, { method: 'POST' });
  if (reply === undefined) return EXIT.failure;
  if (!isOk(reply)) {
    io.stderr(
      `cca: ${reply.status === 404 || reply.status === 409 ? (messageOf(reply) ?? reply.text) : describeSessionError(reply, sessionId, url, now())}\n`,
    );
    return EXIT.failure;
  }
  io.stdout(
    values.json
      ? `${reply.text.trimEnd()}\n`
      : `Webhook delivery ${webhookId} is pending again: it goes out now, then on the retry schedule.\n`,
  );
  return EXIT.ok;
}

type VerifyFlags = {
  secret?: string;
  id?: string;
  timestamp?: string;
  signature?: string;
  headers?: string;
  body?: string;
  'any-age'?: boolean;
};

/**
 * Runs `cca webhooks verify`: 0 the signature matches (and the timestamp is recent, unless
 * `--any-age`), 1 it does not, 2 usage.
 */
export async function runWebhooksVerify({ values, positionals }: CommandInput<VerifyFlags>, ctx: CommandContext): Promise<number> {
  if (positionals.length > 0) throw new UsageError('cca webhooks verify takes no arguments: give the body with --body FILE or on stdin.');
  const secret = values.secret ?? ctx.env.CCA_WEBHOOK_SECRET;
  if (secret === undefined || secret.trim() === '') {
    throw new UsageError("give the secret: --secret whsec_... or CCA_WEBHOOK_SECRET (cca keys webhook-secret KEY_ID prints a key's).");
  }
  const fromFile = values.headers === undefined ? {} : parseHeaderFile(readText(values.headers, '--headers'));
  const headers = {
    id: values.id ?? fromFile['webhook-id'],
    timestamp: values.timestamp ?? fromFile['webhook-timestamp'],
    signature: values.signature ?? fromFile['webhook-signature'],
  };
  const missing = Object.entries(headers)
    .filter(([, v]) => v === undefined)
    .map(([k]) => `--${k}`);
  if (missing.length > 0) {
    throw new UsageError(
      `missing ${missing.join(', ')}: give the webhook-id, webhook-timestamp and webhook-signature headers as flags, or --headers FILE with "name: value" lines.`,
    );
  }
  const body = values.body !== undefined ? readBytes(values.body, '--body') : await (ctx.readStdin ?? readProcessStdin)();
  if (body === undefined)
    throw new UsageError('give the body exactly as received: --body FILE, or pipe it in (cca webhooks verify ... < body.json).');
  const now = ctx.clock?.() ?? Date.now();
  const result = verifySignature(secret.trim(), headers as { id: string; timestamp: string; signature: string }, body, now);
  if (!result.valid) {
    ctx.io.stderr(`cca: not valid: ${result.reason}.\n`);
    return EXIT.failure;
  }
  const age = result.ageS >= 0 ? `${result.ageS} s old` : `${-result.ageS} s in the future`;
  if (!result.fresh && !values['any-age']) {
    ctx.io.stderr(
      `cca: the signature matches, but the timestamp is ${age}: a receiver refuses more than ${TIMESTAMP_TOLERANCE_S} s either way, ` +
        'against replays (--any-age checks the signature alone).\n',
    );
    return EXIT.failure;
  }
  ctx.io.stdout(`Valid: signed with this secret (webhook-id ${headers.id}, timestamp ${age}).\n`);
  return EXIT.ok;
}

/** All of the process's stdin; undefined when it is a terminal (nothing piped in, and reading would wait for typing). */
async function readProcessStdin(): Promise<Buffer | undefined> {
  if (process.stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `Name: value` lines (a saved request, or curl -D), names lower-cased; other lines are skipped. */
function parseHeaderFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9-]+):\s*(.*?)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1].toLowerCase()] = m[2];
  }
  return out;
}

function readText(file: string, flag: string): string {
  return readBytes(file, flag).toString('utf8');
}

function readBytes(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`);
  }
}

function short(iso: string | null | undefined): string {
  return iso == null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * Which session events become webhook events, and the body each is delivered with: the end of an
 * invocation (`invocation.completed` on success, `.failed`, `.cancelled`, `.timed_out`) from its
 * `invocation.completed` event and output, and `permission.request` with how to answer it. Bodies
 * are bounded (results, errors and file lists are cut) so a run of 100,000 files still sends a small POST.
 */
import { summarizeToolInput, truncate } from '../events/index.js';
import type { SessionEvent } from '../schemas/events.js';
import type { StopReason } from '../schemas/responses.js';
import type { InvocationEndedData, WebhookEventType, WebhookPayload } from '../schemas/webhooks.js';

/** Characters of `result` a payload carries. */
export const RESULT_LIMIT = 4000;
/** Files a completion lists. */
export const FILES_LIMIT = 100;
/** Errors a completion lists, and characters of each. */
const ERRORS_LIMIT = 20;
const ERROR_CHARS = 1000;

type Status = Extract<SessionEvent, { type: 'invocation.completed' }>['data']['status'];

const TYPE_OF_STATUS: Record<Status, WebhookEventType> = {
  succeeded: 'invocation.completed',
  failed: 'invocation.failed',
  // The service stopped during the run: for the caller, a run that did not do its task.
  interrupted: 'invocation.failed',
  cancelled: 'invocation.cancelled',
  timed_out: 'invocation.timed_out',
};

/** A stop reason for an end without an output (it always has one today; the schema allows none). */
const STOP_OF_STATUS: Record<Status, StopReason> = {
  succeeded: 'completed',
  failed: 'error',
  interrupted: 'interrupted',
  cancelled: 'cancelled',
  timed_out: 'timeout',
};

/**
 * The webhook event type of a session event; undefined for the events webhooks do not carry.
 * @example webhookTypeOf({ type: 'invocation.completed', data: { status: 'timed_out', ... } }) // 'invocation.timed_out'
 */
export function webhookTypeOf(event: SessionEvent): WebhookEventType | undefined {
  if (event.type === 'invocation.completed') return TYPE_OF_STATUS[event.data.status];
  if (event.type === 'permission.request') return 'permission.request';
  return undefined;
}

/** The session header of the AgentCore contract (http/headers.ts, which this layer may not import). */
const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';

/**
 * The body of the delivery of `event`; `baseUrl` is the public origin of the request, and `links`
 * whether that origin serves the sessions API (else permission answers go to `/invocations`).
 */
export function buildPayload(event: SessionEvent, type: WebhookEventType, baseUrl: string, links: boolean): WebhookPayload {
  const session = `${baseUrl}/sessions/${encodeURIComponent(event.session_id)}`;
  const ids = { session_id: event.session_id, invocation_id: event.invocation_id };
  if (event.type === 'permission.request') {
    const { request_id: requestId, tool, input, expires_at: expiresAt } = event.data;
    return {
      type: 'permission.request',
      timestamp: event.at,
      data: {
        ...ids,
        request_id: requestId,
        tool,
        input_summary: summarizeToolInput(tool, parseJson(input)),
        input: truncate(input),
        expires_at: expiresAt,
        answer: links
          ? { method: 'POST', url: `${session}/permissions/${encodeURIComponent(requestId)}`, body: { decision: 'allow' } }
          : {
              method: 'POST',
              url: `${baseUrl}/invocations`,
              headers: { [SESSION_HEADER]: event.session_id },
              body: { control: { action: 'permission', request_id: requestId, decision: 'allow' } },
            },
      },
    };
  }
  if (event.type !== 'invocation.completed') throw new Error(`${event.type} is not delivered by webhooks`);
  return {
    type: type as Exclude<WebhookEventType, 'permission.request'>,
    timestamp: event.at,
    data: endedData(
      event,
      ids,
      links ? { session, files: `${session}/files?invocation_id=${encodeURIComponent(event.invocation_id)}` } : undefined,
    ),
  };
}

function endedData(
  event: Extract<SessionEvent, { type: 'invocation.completed' }>,
  ids: { session_id: string; invocation_id: string },
  links: InvocationEndedData['links'],
): InvocationEndedData {
  const { status, output } = event.data;
  const out = output?.output;
  const files = out?.metadata.uploaded_files ?? [];
  const filesTotal = out?.metadata.uploaded_files_total ?? files.length;
  const result = out?.result ?? '';
  const listed = files.slice(0, FILES_LIMIT);
  return {
    ...ids,
    status,
    success: out?.success ?? false,
    result: truncate(result, RESULT_LIMIT),
    result_truncated: result.length > RESULT_LIMIT,
    stop_reason: out?.stop_reason ?? STOP_OF_STATUS[status],
    ...(out?.error_code !== undefined ? { error_code: out.error_code } : {}),
    errors: (out?.errors ?? []).slice(0, ERRORS_LIMIT).map((e) => truncate(e, ERROR_CHARS)),
    model: out?.model ?? null,
    cost_usd: out?.cost_usd ?? 0,
    usage: out?.usage ?? { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    duration_ms: out?.metadata.duration_ms ?? 0,
    num_turns: out?.metadata.num_turns ?? 0,
    files: listed.map((f) => ({
      file_name: f.file_name,
      size: f.size,
      sha256: f.sha256,
      content_type: f.content_type,
      download_url: f.download_url,
      expires_at: f.expires_at,
    })),
    files_total: filesTotal,
    files_truncated: filesTotal > listed.length,
    ...(links !== undefined ? { links } : {}),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

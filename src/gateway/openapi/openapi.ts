/**
 * The OpenAPI 3.1 document, generated from the route declarations of the app (each route's zod
 * schemas of parameters, body and responses), so it cannot drift from what the service validates
 * and returns. Only what no route says is added here: the title, the text, tags and the key.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { METRICS_SECURITY_SCHEME } from '../../metrics/index.js';
import { normalizeDocument } from './normalize.js';
import type { OpenApiDocument } from './openapi-types.js';

/** Options of `buildOpenApi`: the service version, its public origin, and the configured body limits. */
export interface OpenApiOptions {
  version: string;
  serverUrl?: string;
  limits: { maxBodyBytes: number; maxPromptChars: number };
}

const DEFAULT_LIMITS =
  'per API key, by default: 10 requests a second with bursts of 20 (every request), and 1,000 a day of the requests that start runs or store files (`POST /invoke`, `POST /invocations`, `POST /sessions/{session_id}/files`; reads and steering do not count)';
const CURL =
  'curl -X POST "$API_ENDPOINT" -H "x-api-key: $API_KEY" -H "Content-Type: application/json" ' +
  `-d '{"prompt": "Create a REST API for user management", "permission_mode": "acceptEdits", "allowed_tools": "Bash,Read,Write,Replace,Search,List"}'`;

/**
 * Builds the OpenAPI 3.1.0 document of the service from its app.
 * @example const doc = buildOpenApi(app, { version: VERSION, limits: config.limits }); // see serveDocs
 */
export function buildOpenApi<E extends Env>(app: OpenAPIHono<E>, opts: OpenApiOptions): OpenApiDocument {
  const generated = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'claude-code-agent', version: opts.version, description: describe(opts.limits) },
    ...(opts.serverUrl === undefined ? {} : { servers: [{ url: opts.serverUrl }] }),
    security: [{ apiKey: [] }, { bearer: [] }],
    tags: [
      { name: 'Agent', description: 'Run coding tasks.' },
      { name: 'Sessions', description: "The caller's sessions and what each invocation did." },
      { name: 'Usage', description: "What the caller's runs used and cost, and its budgets." },
      { name: 'Runtime', description: 'The Amazon Bedrock AgentCore Runtime contract, served by `cca runtime` and in the container.' },
      { name: 'Service', description: 'Health, stored files and this documentation.' },
      {
        name: 'Webhooks',
        description: 'What the service POSTs to the `webhook` of a request: signed (Standard Webhooks), retried for about a day.',
      },
    ],
  });
  // A plain JSON value: what is served is exactly what tests and the docs page read.
  // The generator adds empty `webhooks` and `components.parameters`: they say nothing.
  const { webhooks, ...plain } = JSON.parse(JSON.stringify(generated)) as OpenApiDocument;
  const { parameters: _p, ...components } = plain.components as OpenApiDocument['components'] & { parameters?: unknown };
  // Webhooks are named by their event type; the generator spells the names as paths ("/invocation.completed").
  const named = Object.fromEntries(Object.entries(webhooks ?? {}).map(([name, item]) => [name.replace(/^\//, ''), item]));
  const doc = normalizeDocument({ ...plain, ...(Object.keys(named).length > 0 ? { webhooks: named } : {}), components });
  doc.components.securitySchemes = {
    apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The API key, as with the original API Gateway.' },
    bearer: { type: 'http', scheme: 'bearer', description: 'The same API key as `Authorization: Bearer <key>`.' },
    // Only where the operator serves /metrics on this port (a metrics token is set).
    ...(doc.paths['/metrics'] !== undefined ? { metricsToken: METRICS_SECURITY_SCHEME } : {}),
  };
  // The prompt's limit is configuration, not part of the schema.
  const prompt = doc.components.schemas.InvocationRequest?.properties?.prompt;
  if (prompt) prompt.maxLength = opts.limits.maxPromptChars;
  return doc;
}

function describe(limits: OpenApiOptions['limits']): string {
  return `Claude Code as a headless coding agent you call like an API. Send a task in plain language; Claude Code works on it with its real tools in the workspace of its session, every file it creates or changes is stored, and the response carries the result, the cost and a download link for each file. Send the returned \`session_id\` back to continue in the same workspace.

## Authentication
\`/invoke\` and \`/sessions\` need an API key, in \`x-api-key: <key>\` (as with the original API Gateway) or \`Authorization: Bearer <key>\`. A missing, unknown or revoked key gets 403 \`{"message":"Forbidden"}\`. A key sees only its own sessions. \`/health\`, \`/ping\`, \`/openapi.json\`, \`/docs\` and the signed \`/files/\` links need no key.

## Long runs
\`POST /invoke\` waits for the run and answers with its output. With \`Accept: text/event-stream\` it streams the run's events instead (Server-Sent Events: \`id\`, \`event\` = the type, \`data\` = the whole event as JSON; a \`: keep-alive\` comment every 15 s), ending with \`invocation.completed\`. With \`"async": true\` or \`Prefer: respond-async\` it answers 202 at once with \`status_url\` and \`events_url\`. \`GET /sessions/{session_id}/events\` replays and follows the events of a session and resumes after \`Last-Event-ID\`; \`POST /sessions/{session_id}/cancel\` stops a run; in \`manual\` mode each \`permission.request\` event waits for \`POST /sessions/{session_id}/permissions/{request_id}\`.

## Webhooks
With \`"webhook": {"url": "https://...", "events"?: [...]}\` in a request (or a default the operator set on the API key), the service POSTs the end of the invocation (\`invocation.completed\` on success, \`invocation.failed\`, \`invocation.cancelled\`, \`invocation.timed_out\`) and its \`permission.request\` events to that URL, signed as Standard Webhooks says (\`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\`: HMAC-SHA256 with the key's secret, \`whsec_...\`, which the operator gives with the key). A delivery is retried with the same \`webhook-id\` until a 2xx answers, for about a day; a 410 stops it. The URL must be https and resolve to a public address. \`GET /sessions/{session_id}/webhooks\` lists the deliveries; the \`webhooks\` section of this document has each body.

## On AWS
Behind API Gateway and the API Lambda, \`/invoke\` and the \`/sessions\` routes answer with these shapes and errors, except: \`GET /sessions/{session_id}/events\` is buffered (API Gateway cannot stream): it answers the events after \`Last-Event-ID\` / \`after\` (at most 1,000), or, when there are none yet and the session runs, waits up to 20 s for some; while the session runs the answer starts with \`retry: 1000\`, so an EventSource reconnects and follows it. \`GET /sessions/{session_id}/files\` lists the first 1,000 entries of each invocation's lists. Uploads into a session, \`/usage\` (and key budgets), \`/health\` and these docs are not served there, and the async 202 has no \`events_url\`. A key may have 4 runs in progress at once (the deployment's \`KEY_MAX_CONCURRENT\`); over that, 429 \`key_queue_full\`.

## Limits
Requests are limited ${DEFAULT_LIMITS}. Over the rate: 429 \`{"message":"Too Many Requests"}\`; over the daily quota: 429 \`{"message":"Limit Exceeded"}\` until 00:00 UTC. Both carry \`Retry-After\` (seconds). A key may also have budgets in US dollars per UTC day and month: over one, a run is refused with 402 \`budget_exceeded\` and \`Retry-After\` until it resets; near one, a run gets what is left as its \`max_budget_usd\` (the output's \`budget\` and \`error_code\` say when the key's budget stopped it); \`GET /usage\` shows the key's runs, tokens and cost per day and its budgets. A body may have at most ${limits.maxBodyBytes} bytes (else 413) and a prompt ${limits.maxPromptChars} characters (else 400).

## Example
\`\`\`
${CURL}
\`\`\`
`;
}

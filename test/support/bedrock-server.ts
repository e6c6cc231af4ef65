/**
 * A scripted Amazon Bedrock endpoint, as Claude Code reaches it through ANTHROPIC_BEDROCK_BASE_URL:
 * Bedrock Runtime's InvokeModelWithResponseStream (AWS event-stream frames, each carrying one
 * base64-encoded Anthropic streaming event), InvokeModel and CountTokens, plus the control plane's
 * ListInferenceProfiles, which Claude Code sends to the same base URL at start-up. Errors come in
 * Bedrock's shapes. It plays the same `Responder` scripts as the Anthropic model server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { bedrockDefaultModel } from '../../src/config/index.js';
import { messageJson, openingEvents, streamEvents, type StreamEvent } from './anthropic-message.js';
import type { Block, MessagesBody, ModelRequest, Reply } from './model-server.js';

export type BedrockOperation = 'invoke-with-response-stream' | 'invoke' | 'count-tokens' | 'list-inference-profiles' | 'unknown';

/** The Messages body as Bedrock takes it: no `model` (it is in the path), no `stream` (the operation says). */
export interface BedrockBody extends Omit<MessagesBody, 'model' | 'stream'> {
  anthropic_version: string;
  anthropic_beta?: string[];
  max_tokens: number;
  [key: string]: unknown;
}

export interface BedrockRequest {
  method: string;
  /** The request target as received (Claude Code sends the model id's `:` unencoded). */
  path: string;
  operation: BedrockOperation;
  /** The decoded model id from `/model/{modelId}/...`. */
  modelId: string | undefined;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, as sent (undefined for GET or unparsable). */
  body: BedrockBody | undefined;
  /** The body as received, to check what was signed (`x-amz-content-sha256`). */
  raw: string;
}

/**
 * A `Reply`, or one that fails inside an open stream: the opening events of `content` (if any), then
 * an `:message-type: exception` frame. Outside a stream it is the same error as an HTTP response.
 */
export type BedrockReply = Reply | { streamException: { type: string; message: string }; content?: Block[]; delayMs?: number };

/** A `Responder` from model-server.ts fits: it sees the body with `model` and `stream` filled in. */
export type BedrockResponder = (req: ModelRequest) => BedrockReply | Promise<BedrockReply>;

export interface BedrockServer {
  url: string;
  requests: BedrockRequest[];
  setResponder(responder: BedrockResponder): void;
  close(): Promise<void>;
}

export interface BedrockServerOptions {
  /** ListInferenceProfiles answer; default: Haiku 4.5's profile for the region the request is signed for. */
  inferenceProfiles?: string[];
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const ROUTE = /^\/model\/([^/]+)\/(invoke-with-response-stream|invoke|count-tokens)$/;
let nextId = 0;

/** Starts the server on 127.0.0.1 with an OS-assigned port. */
export async function startBedrockServer(responder: BedrockResponder, options: BedrockServerOptions = {}): Promise<BedrockServer> {
  let respond = responder;
  const requests: BedrockRequest[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      open.add(res);
      res.on('close', () => open.delete(res));
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 'InternalServerException', String(err));
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const target = req.url ?? '/';
    const pathname = target.split('?')[0] ?? '/';
    const route = ROUTE.exec(pathname);
    const operation: BedrockOperation = route
      ? (route[2] as BedrockOperation)
      : pathname === '/inference-profiles' && req.method === 'GET'
        ? 'list-inference-profiles'
        : 'unknown';
    const modelId = route ? decodeURIComponent(route[1] ?? '') : undefined;
    const body = parseJson(raw);
    requests.push({ method: req.method ?? '', path: target, operation, modelId, headers: req.headers, body, raw });

    if (!req.headers.authorization) return sendError(res, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (operation === 'unknown' || (operation !== 'list-inference-profiles' && req.method !== 'POST')) {
      return sendError(res, 'UnknownOperationException', `No operation ${req.method} ${pathname}`);
    }
    if (operation === 'list-inference-profiles') {
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization)?.[1] ?? 'us-east-1';
      const ids = options.inferenceProfiles ?? [bedrockDefaultModel(region)];
      return sendJson(res, 200, { inferenceProfileSummaries: ids.map((id) => profileSummary(id, region)) });
    }
    if (operation === 'count-tokens') return sendJson(res, 200, { inputTokens: Math.ceil(raw.length / 4) });
    const invalid = body
      ? validate(body)
      : 'Malformed input request: the body is not a JSON object, please reformat your input and try again.';
    if (invalid !== undefined || !body) return sendError(res, 'ValidationException', invalid ?? '');

    const stream = operation === 'invoke-with-response-stream';
    const messages = { ...body, model: modelId ?? '', stream } as MessagesBody;
    const reply = await respond({
      path: pathname,
      headers: req.headers,
      body: messages,
      kind: (body.tools ?? []).length > 0 ? 'main' : 'side',
    });
    if ('hang' in reply) return;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if ('error' in reply) return sendError(res, bedrockErrorType(reply.error.type), reply.error.message, reply.error.status);
    if (!stream && 'streamException' in reply) return sendError(res, reply.streamException.type, reply.streamException.message);

    const id = `msg_bdrk_${(++nextId).toString().padStart(6, '0')}`;
    const message = {
      id,
      model: baseModelName(modelId ?? ''),
      content: reply.content ?? [],
      usage: ('usage' in reply && reply.usage) || { input_tokens: 100, output_tokens: 20 },
    };
    const requestId = `bdrk-${id}`;
    if (!stream) {
      return sendJson(res, 200, messageJson(message), {
        'x-amzn-bedrock-input-token-count': String(message.usage.input_tokens),
        'x-amzn-bedrock-output-token-count': String(message.usage.output_tokens),
      });
    }
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-bedrock-content-type': 'application/json',
      'x-amzn-requestid': requestId,
    });
    if ('streamException' in reply) {
      for (const event of openingEvents(message)) res.write(chunkFrame(event));
      res.end(exceptionFrame(reply.streamException.type, reply.streamException.message));
      return;
    }
    const events = streamEvents(message);
    const last = events.pop() as StreamEvent;
    for (const event of events) res.write(chunkFrame(event));
    // Bedrock adds its own metrics to the last event.
    const metrics = {
      inputTokenCount: message.usage.input_tokens,
      outputTokenCount: message.usage.output_tokens,
      invocationLatency: 1,
      firstByteLatency: 1,
    };
    res.end(chunkFrame({ ...last, 'amazon-bedrock-invocationMetrics': metrics }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setResponder: (r) => {
      respond = r;
    },
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseJson(raw: string): BedrockBody | undefined {
  try {
    return raw ? (JSON.parse(raw) as BedrockBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Bedrock rejects a body with keys of the first-party API, as the real service does. */
function validate(body: BedrockBody): string | undefined {
  const reformat = 'please reformat your input and try again.';
  if (body.anthropic_version !== 'bedrock-2023-05-31')
    return `Malformed input request: #: required key [anthropic_version] not found or invalid, ${reformat}`;
  for (const key of ['model', 'stream']) {
    if (key in body) return `Malformed input request: #: extraneous key [${key}] is not permitted, ${reformat}`;
  }
  return undefined;
}

const STATUS: Record<string, number> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 400,
  AccessDeniedException: 403,
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

/** Scripts written for the Anthropic API name its error types; Bedrock has its own. */
const FROM_ANTHROPIC: Record<string, string> = {
  invalid_request_error: 'ValidationException',
  authentication_error: 'UnrecognizedClientException',
  permission_error: 'AccessDeniedException',
  not_found_error: 'ResourceNotFoundException',
  rate_limit_error: 'ThrottlingException',
  api_error: 'InternalServerException',
  overloaded_error: 'ServiceUnavailableException',
};

function bedrockErrorType(type: string): string {
  return FROM_ANTHROPIC[type] ?? type;
}

/** `jp.anthropic.claude-haiku-4-5-20251001-v1:0` → `claude-haiku-4-5-20251001`, the name Bedrock reports back. */
function baseModelName(modelId: string): string {
  return /(?:^|\.)anthropic\.(claude-[\w.-]+?)(?:-v\d+(?::\d+)?)?$/.exec(modelId)?.[1] ?? modelId;
}

function profileSummary(id: string, region: string): Record<string, unknown> {
  return {
    inferenceProfileId: id,
    inferenceProfileName: id,
    inferenceProfileArn: `arn:aws:bedrock:${region}:123456789012:inference-profile/${id}`,
    models: [{ modelArn: `arn:aws:bedrock:${region}::foundation-model/${id.replace(/^[\w-]+\.(?=anthropic\.)/, '')}` }],
    status: 'ACTIVE',
    type: 'SYSTEM_DEFINED',
  };
}

const str = (value: string) => ({ type: 'string' as const, value });

function frame(headers: MessageHeaders, payload: unknown): Uint8Array {
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

/** One Anthropic streaming event as Bedrock sends it: a `chunk` event whose body holds the JSON in base64. */
function chunkFrame(event: StreamEvent): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event), 'utf8').toString('base64');
  return frame({ ':event-type': str('chunk'), ':content-type': str('application/json'), ':message-type': str('event') }, { bytes });
}

/** A modelled stream error (e.g. `throttlingException`), the event-stream way of failing after a 200. */
function exceptionFrame(type: string, message: string): Uint8Array {
  const member = type.charAt(0).toLowerCase() + type.slice(1);
  return frame(
    { ':exception-type': str(member), ':content-type': str('application/json'), ':message-type': str('exception') },
    { message },
  );
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': `bdrk-${++nextId}`, ...headers })
    .end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, type: string, message: string, status?: number): void {
  sendJson(res, status ?? STATUS[type] ?? 400, { message }, { 'x-amzn-ErrorType': type });
}

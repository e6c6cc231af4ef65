/**
 * A scripted model server that speaks the Anthropic Messages API (POST /v1/messages, streaming SSE
 * and plain JSON, tool_use blocks, errors in the API's own shape). The real Claude Code binary talks
 * to it through ANTHROPIC_BASE_URL; each test scripts the turns it plays.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageJson, openingEvents, streamEvents } from './anthropic-message.js';

export type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export type Reply =
  | { content: Block[]; delayMs?: number; usage?: { input_tokens: number; output_tokens: number } }
  /** An API error, e.g. 400 invalid_request_error (Claude Code does not retry it). */
  | { error: { status: number; type: string; message: string }; delayMs?: number }
  /** Never answers: for timeouts and cancellation. */
  | { hang: true }
  /** Starts answering `content`, then breaks the answer in the way `fault` says (see `Fault`). */
  | { fault: Fault; content: Block[]; delayMs?: number };

/**
 * How a started answer breaks. `drop`: the connection is destroyed right after `message_start`.
 * `bad_json`: a `data:` line that is not JSON follows `message_start`. `truncated`: the stream (or
 * body) ends before `message_stop`, cleanly closed. Without streaming, `drop` destroys the socket
 * before any byte, and the others send half of the JSON body. (The Bedrock server plays the whole answer.)
 */
export type Fault = 'drop' | 'bad_json' | 'truncated';

export interface ModelRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: MessagesBody;
  /** 'main' when the request offers tools (the agent loop), 'side' for Claude Code's helper calls. */
  kind: 'main' | 'side';
}

export interface MessagesBody {
  model: string;
  stream?: boolean;
  system?: unknown;
  tools?: { name: string }[];
  messages: { role: 'user' | 'assistant' | 'system'; content: string | Record<string, unknown>[] }[];
}

export type Responder = (req: ModelRequest) => Reply | Promise<Reply>;

export interface ModelServer {
  url: string;
  requests: ModelRequest[];
  setResponder(responder: Responder): void;
  close(): Promise<void>;
}

let nextId = 0;
/** A text block. */
export const text = (t: string): Block => ({ type: 'text', text: t });
/** A tool_use block with a fresh id. */
export const toolUse = (name: string, input: Record<string, unknown>): Block => ({
  type: 'tool_use',
  id: `toolu_${(++nextId).toString().padStart(6, '0')}`,
  name,
  input,
});

/** Starts the server on 127.0.0.1 with an OS-assigned port. */
export async function startModelServer(responder: Responder = scenarios({})): Promise<ModelServer> {
  let respond = responder;
  const requests: ModelRequest[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      open.add(res);
      res.on('close', () => open.delete(res));
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'api_error', String(err));
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const path = req.url ?? '/';
    if (path.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: Math.ceil(raw.length / 4) }));
      return;
    }
    if (!path.startsWith('/v1/messages') || req.method !== 'POST') {
      sendError(res, 404, 'not_found_error', `No route ${req.method} ${path}`);
      return;
    }
    const body = JSON.parse(raw) as MessagesBody;
    const record: ModelRequest = { path, headers: req.headers, body, kind: (body.tools ?? []).length > 0 ? 'main' : 'side' };
    requests.push(record);
    const reply = await respond(record);
    if ('hang' in reply) return;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if ('error' in reply) {
      sendError(res, reply.error.status, reply.error.type, reply.error.message);
      return;
    }
    const id = `msg_${(++nextId).toString().padStart(6, '0')}`;
    const usage = ('usage' in reply ? reply.usage : undefined) ?? { input_tokens: 100, output_tokens: 20 };
    const message = { id, model: body.model, content: reply.content, usage };
    if ('fault' in reply) {
      breakAnswer(res, reply.fault, body.stream === true, message);
      return;
    }
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
      res.end(JSON.stringify(messageJson(message)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
    for (const event of streamEvents(message)) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    res.end();
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

/** Answers the start of `message`, then breaks off as `fault` says. */
function breakAnswer(res: http.ServerResponse, fault: Fault, stream: boolean, message: Parameters<typeof streamEvents>[0]): void {
  const headers = { 'request-id': `req_${message.id}` };
  if (!stream) {
    if (fault === 'drop') {
      res.socket?.destroy();
      return;
    }
    const json = JSON.stringify(messageJson(message));
    res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    res.end(json.slice(0, Math.floor(json.length / 2)));
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const sse = (event: { type: string }) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
  const [start, ...rest] = openingEvents(message);
  if (fault === 'drop') {
    // Written first, so the client has begun reading the message when the connection goes.
    res.write(sse(start as { type: string }), () => res.socket?.destroy());
  } else if (fault === 'bad_json') {
    res.end(`${sse(start as { type: string })}event: content_block_start\ndata: {"type": "content_block_start", "index": 0,\n\n`);
  } else {
    res.end([start, ...rest].map((e) => sse(e as { type: string })).join(''));
  }
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type, message } }));
}

/** A scripted turn: a fixed reply, or one computed from the request. */
export type Turn = Reply | ((req: ModelRequest) => Reply);
/** A whole script: turns in order, or a function of the turn index (for "every turn from here fails"). */
export type Script = Turn[] | ((req: ModelRequest, turn: number) => Reply);

/**
 * Plays a script chosen by a tag `[[scenario:NAME]]` in the conversation's user text. The turn
 * index is the number of assistant messages already in the conversation, so the responder is
 * stateless: concurrent sessions and resumed conversations pick up exactly where they are.
 * Past the end of a script, and for untagged or side requests, it answers with plain text.
 */
export function scenarios(scripts: Record<string, Script>): Responder {
  return (req) => {
    if (req.kind === 'side') return { content: [text('ok')] };
    const name = scenarioOf(req.body);
    const script = name === undefined ? undefined : scripts[name];
    if (typeof script === 'function') return script(req, assistantTurns(req.body));
    const turn = script?.[assistantTurns(req.body)];
    if (turn === undefined) return { content: [text('Done.')] };
    return typeof turn === 'function' ? turn(req) : turn;
  };
}

/** The scenario tag of a conversation, if any. */
export function scenarioOf(body: MessagesBody): string | undefined {
  for (const text of userTexts(body)) {
    const match = /\[\[scenario:([\w-]+)\]\]/.exec(text);
    if (match) return match[1];
  }
  return undefined;
}

/** How many assistant turns the conversation already holds. */
export function assistantTurns(body: MessagesBody): number {
  return body.messages.filter((m) => m.role === 'assistant').length;
}

/** All user-authored text in a conversation (not tool results), in order. */
export function userTexts(body: MessagesBody): string[] {
  return body.messages
    .filter((m) => m.role === 'user')
    .flatMap((m) =>
      typeof m.content === 'string'
        ? [m.content]
        : m.content.flatMap((b) => (b.type === 'text' && typeof b.text === 'string' ? [b.text] : [])),
    );
}

/** The tool_result blocks of the last user message (what the previous tool calls returned). */
export function lastToolResults(body: MessagesBody): { tool_use_id: string; content: unknown; is_error?: boolean }[] {
  // Claude Code may append system-role messages (budget, date) after the user's tool results.
  const last = body.messages.filter((m) => m.role === 'user').at(-1);
  if (!last || typeof last.content === 'string') return [];
  return last.content.filter((b) => b.type === 'tool_result') as { tool_use_id: string; content: unknown; is_error?: boolean }[];
}

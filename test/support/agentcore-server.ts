/**
 * A local AgentCore data plane: the routes `InvokeAgentRuntime` and `StopRuntimeSession` call, in
 * their real wire format (restJson1, as @aws-sdk/client-bedrock-agentcore serializes them),
 * forwarding invocations to a local runtime's `POST /invocations` as AgentCore forwards to the
 * container.
 *
 *   POST /runtimes/{agentRuntimeArn URL-encoded}/invocations?qualifier=DEFAULT[&accountId=...]
 *   Content-Type / Accept: as given; X-Amzn-Bedrock-AgentCore-Runtime-Session-Id: 33-256 chars
 *   (the SDK generates a UUID when none is given); SigV4 with service `bedrock-agentcore`;
 *   body = payload bytes.
 *   200..299: the container's status (the SDK's `statusCode`), Content-Type (`contentType`),
 *   session header (`runtimeSessionId`), body streamed (`response`).
 *   Errors: `x-amzn-errortype: <Name>` and `{"message": ...}`; ValidationException (400) for a bad
 *   ARN or session id, ResourceNotFoundException (404) for an unknown runtime or endpoint, and, as
 *   AgentCore does, any non-2xx answer of the container becomes RuntimeClientError (424) with only
 *   its status kept in the message.
 *
 *   POST /runtimes/{agentRuntimeArn URL-encoded}/stopruntimesession?qualifier=DEFAULT
 *   X-Amzn-Bedrock-AgentCore-Runtime-Session-Id: the session (required); body `{"clientToken"}`
 *   (the SDK fills in an idempotency token). 200 with the session header and `{}` (the SDK's
 *   `statusCode`); ResourceNotFoundException (404) for a session the peer never ran (or stopped).
 *   The peer records each stop; the runtime process itself goes on (one process serves every
 *   session here, where AgentCore would end the session's microVM).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';

/** One InvokeAgentRuntime request as the peer received it. */
export interface PeerRequest {
  agentRuntimeArn: string;
  qualifier: string | undefined;
  accountId: string | undefined;
  runtimeSessionId: string | undefined;
  contentType: string | undefined;
  accept: string | undefined;
  payload: string;
  /** The status the peer answered. */
  status?: number;
}

/** One StopRuntimeSession request as the peer received it. */
export interface PeerStop {
  agentRuntimeArn: string;
  qualifier: string | undefined;
  runtimeSessionId: string | undefined;
  clientToken: string | undefined;
  /** The status the peer answered. */
  status?: number;
}

export interface AgentCorePeer {
  url: string;
  requests: PeerRequest[];
  stops: PeerStop[];
  close(): Promise<void>;
}

const ARN = /^arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:runtime\/[A-Za-z0-9_-]{1,100}$/;
const ROUTE = /^\/runtimes\/([^/]+)\/invocations$/;
const STOP_ROUTE = /^\/runtimes\/([^/]+)\/stopruntimesession$/;

/**
 * Starts the peer on 127.0.0.1 (OS-assigned port) in front of the runtime at `runtimeUrl`;
 * `runtimeFor` may send a session elsewhere (e.g. to a closed port: a runtime that does not answer).
 */
export async function startAgentCorePeer(opts: {
  runtimeArn: string;
  runtimeUrl: string;
  qualifiers?: string[];
  runtimeFor?: (sessionId: string) => string | undefined;
}): Promise<AgentCorePeer> {
  const qualifiers = opts.qualifiers ?? ['DEFAULT'];
  const requests: PeerRequest[] = [];
  const stops: PeerStop[] = [];
  // Sessions AgentCore would have a microVM for: invoked, and not stopped since.
  const live = new Set<string>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'InternalServerException', String(err));
        else res.destroy();
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://peer');
    const stop = STOP_ROUTE.exec(url.pathname);
    if (req.method === 'POST' && stop?.[1]) {
      stopSession(req, res, url, decodeURIComponent(stop[1]), body);
      return;
    }
    const match = ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || !match?.[1]) {
      sendError(res, 404, 'UnknownOperationException', `No operation at ${req.method} ${url.pathname}`);
      return;
    }
    const auth = String(req.headers.authorization ?? '');
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/bedrock-agentcore\/aws4_request,/.test(auth)) {
      sendError(res, 403, 'AccessDeniedException', 'Missing or invalid SigV4 signature for service bedrock-agentcore.');
      return;
    }
    const record: PeerRequest = {
      agentRuntimeArn: decodeURIComponent(match[1]),
      qualifier: url.searchParams.get('qualifier') ?? undefined,
      accountId: url.searchParams.get('accountId') ?? undefined,
      runtimeSessionId: headerOf(req, SESSION_HEADER),
      contentType: headerOf(req, 'content-type'),
      accept: headerOf(req, 'accept'),
      payload: body.toString('utf8'),
    };
    requests.push(record);
    const answer = (status: number, name: string, message: string) => {
      record.status = status;
      sendError(res, status, name, message);
    };

    if (!ARN.test(record.agentRuntimeArn)) {
      answer(
        400,
        'ValidationException',
        `1 validation error detected: Value '${record.agentRuntimeArn}' at 'agentRuntimeArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ARN.source}`,
      );
      return;
    }
    const sessionId = record.runtimeSessionId ?? '';
    if (sessionId.length < 33 || sessionId.length > 256) {
      answer(
        400,
        'ValidationException',
        `1 validation error detected: Value at 'runtimeSessionId' failed to satisfy constraint: Member must have length ${sessionId.length < 33 ? 'greater than or equal to 33' : 'less than or equal to 256'}`,
      );
      return;
    }
    if (record.agentRuntimeArn !== opts.runtimeArn) {
      answer(404, 'ResourceNotFoundException', `No agent runtime ${record.agentRuntimeArn} was found.`);
      return;
    }
    if (!qualifiers.includes(record.qualifier ?? 'DEFAULT')) {
      answer(404, 'ResourceNotFoundException', `No endpoint ${record.qualifier} of agent runtime ${record.agentRuntimeArn} was found.`);
      return;
    }

    live.add(sessionId);
    const upstream = await forward(`${opts.runtimeFor?.(sessionId) ?? opts.runtimeUrl}/invocations`, body, {
      'content-type': record.contentType ?? 'application/json',
      accept: record.accept ?? '*/*',
      [SESSION_HEADER]: sessionId,
    });
    const status = upstream.statusCode ?? 502;
    if (status < 200 || status > 299) {
      upstream.resume();
      answer(424, 'RuntimeClientError', `Received error (${status}) from runtime. Please check your CloudWatch logs for more information.`);
      return;
    }
    record.status = status;
    res.writeHead(status, {
      'content-type': upstream.headers['content-type'] ?? 'application/octet-stream',
      [SESSION_HEADER]: sessionId,
    });
    // Streamed through as it comes, as AgentCore streams the container's answer.
    upstream.pipe(res);
  }

  function stopSession(req: http.IncomingMessage, res: http.ServerResponse, url: URL, arn: string, body: Buffer): void {
    const auth = String(req.headers.authorization ?? '');
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/bedrock-agentcore\/aws4_request,/.test(auth)) {
      sendError(res, 403, 'AccessDeniedException', 'Missing or invalid SigV4 signature for service bedrock-agentcore.');
      return;
    }
    let clientToken: string | undefined;
    try {
      clientToken = (JSON.parse(body.toString('utf8') || '{}') as { clientToken?: string }).clientToken;
    } catch {
      sendError(res, 400, 'SerializationException', 'The body is not JSON.');
      return;
    }
    const record: PeerStop = {
      agentRuntimeArn: arn,
      qualifier: url.searchParams.get('qualifier') ?? undefined,
      runtimeSessionId: headerOf(req, SESSION_HEADER),
      clientToken,
    };
    stops.push(record);
    const answer = (status: number, name: string, message: string) => {
      record.status = status;
      sendError(res, status, name, message);
    };
    const sessionId = record.runtimeSessionId ?? '';
    if (!ARN.test(arn)) return answer(400, 'ValidationException', `Value '${arn}' at 'agentRuntimeArn' failed to satisfy constraint.`);
    if (sessionId.length < 33 || sessionId.length > 256) {
      return answer(
        400,
        'ValidationException',
        "Value at 'runtimeSessionId' failed to satisfy constraint: Member must have length between 33 and 256",
      );
    }
    if (arn !== opts.runtimeArn || !qualifiers.includes(record.qualifier ?? 'DEFAULT')) {
      return answer(404, 'ResourceNotFoundException', `No agent runtime ${arn} was found.`);
    }
    if (!live.delete(sessionId)) return answer(404, 'ResourceNotFoundException', `No session ${sessionId} was found.`);
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', [SESSION_HEADER]: sessionId }).end('{}');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stops,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** POSTs to the runtime on a connection of its own (no pool shared with the test's other requests). */
function forward(url: string, body: Buffer, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent: false },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** An error in restJson1's shape: the type in `x-amzn-errortype`, the message in the body. */
function sendError(res: http.ServerResponse, status: number, name: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': name }).end(JSON.stringify({ message }));
}

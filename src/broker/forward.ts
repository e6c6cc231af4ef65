/**
 * The broker's HTTP handler: a run's model request comes in as `/cca-run/<token>/<path>`; a live
 * token of the right run gets the request forwarded with the operator's credential in place of
 * whatever the run sent, and the answer streamed back as it arrives (no buffering: Claude Code
 * reads server-sent events). Anything else gets a 401 in the Anthropic API's error shape, which
 * Claude Code reports at once instead of retrying.
 */
import http from 'node:http';
import https from 'node:https';
import { HOP_BY_HOP as PROXY_HOP_BY_HOP } from '../egress/index.js';
import type { Logger } from '../logging/index.js';
import { isTokenCount, refusedCall } from './routes.js';
import type { RunTokens, TokenCheck } from './tokens.js';
import { CREDENTIAL_HEADERS, type ModelUpstream } from './upstream.js';
import { ESTIMATE_BYTES_PER_TOKEN, usageTap, type UsageObserver, type UsageTap } from './usage-tap.js';

/** Where a run's base URL points below the broker's origin. */
export const TOKEN_PREFIX = '/cca-run/';

/** A model request body the broker holds whole at most: the Messages API's own limit. */
export const MAX_MODEL_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Model requests one token may have in the broker at once. Each may hold a body in the service's
 * memory (outside the run's cgroup): a run may not take it all. Claude Code makes a few at a time.
 */
export const MAX_REQUESTS_IN_FLIGHT = 8;

/** How long a request body may take to arrive: a run that trickles one does not hold it for ever. */
export const BODY_TIMEOUT_MS = 60_000;

const TOO_LARGE = `A model request body may be at most ${MAX_MODEL_BODY_BYTES} bytes.`;

/** Headers not passed on either way: one hop's (the proxy's list), and the framing the broker redoes. */
const HOP_BY_HOP = new Set([...PROXY_HOP_BY_HOP, 'transfer-encoding', 'host', 'content-length']);

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/** Numbers the model calls the broker forwards, so a run's meter counts each answer once. */
let lastCallId = 0;

export interface BrokerHandlerOptions {
  tokens: RunTokens;
  upstream: ModelUpstream;
  log: Logger;
  /** Only this token is accepted here (the per-run proxy); none: any live token (the shared listener). */
  only?: string;
}

/**
 * The request handler of the broker.
 * @example startEgressProxy({ ..., onOriginRequest: brokerHandler({ tokens, upstream, log, only: token }) })
 */
export function brokerHandler(opts: BrokerHandlerOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { tokens, upstream, log } = opts;
  const inFlight = new Map<string, number>();
  return function broker(req, res) {
    req.on('error', () => res.destroy());
    const target = req.url ?? '';
    const match = /^\/cca-run\/([A-Za-z0-9_-]{1,128})(\/.*)?$/s.exec(target);
    const token = match?.[1] ?? '';
    const check: TokenCheck = match === null ? { ok: false, reason: 'unknown' } : tokens.use(token);
    if (!check.ok || (opts.only !== undefined && token !== opts.only)) {
      const reason = check.ok ? 'another run' : check.reason;
      log.warn({ reason, ...(check.ok ? {} : { run: check.runId }), method: req.method }, 'model credential broker: token refused');
      req.resume();
      return refuse(
        res,
        401,
        reason === 'ended'
          ? 'This run token belongs to a run that has ended; tokens are valid only while their run lives.'
          : "Not a valid run token. Model requests reach the provider only from inside a run, with that run's token.",
      );
    }
    const path = match?.[2] ?? '/';
    const refusal = refusedCall(upstream.kind, req.method ?? 'GET', path);
    if (refusal !== undefined) {
      log.warn({ run: check.runId, method: req.method, path: path.slice(0, 200) }, 'model credential broker: call refused');
      req.resume();
      return refuse(res, 403, `${refusal.slice(0, 300)}; the broker forwards model calls only.`, 'permission_error');
    }
    const observer = check.observer;
    const spent = req.method === 'POST' ? observer?.refusal() : undefined;
    if (spent !== undefined) {
      log.info({ run: check.runId }, 'model credential broker: the run has spent its budget');
      req.resume();
      return refuse(res, 400, spent.slice(0, 500), 'invalid_request_error');
    }
    const held = inFlight.get(token) ?? 0;
    if (held >= MAX_REQUESTS_IN_FLIGHT) {
      req.resume();
      return refuse(res, 429, `At most ${MAX_REQUESTS_IN_FLIGHT} model requests of a run at once.`, 'rate_limit_error');
    }
    inFlight.set(token, held + 1);
    res.once('close', () => {
      const left = (inFlight.get(token) ?? 1) - 1;
      if (left > 0) inFlight.set(token, left);
      else inFlight.delete(token);
    });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_MODEL_BODY_BYTES) {
      req.resume();
      return refuse(res, 413, TOO_LARGE, 'request_too_large');
    }
    const bodyTimer = setTimeout(() => {
      req.destroy();
      refuse(res, 408, `The request body did not arrive within ${BODY_TIMEOUT_MS / 1000} s.`, 'timeout_error');
    }, BODY_TIMEOUT_MS);
    res.once('close', () => clearTimeout(bodyTimer));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_MODEL_BODY_BYTES) {
        req.destroy();
        return refuse(res, 413, TOO_LARGE, 'request_too_large');
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(bodyTimer);
      if (res.headersSent) return;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name) || CREDENTIAL_HEADERS.includes(name)) continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      // The meter reads the usage out of the answer as it passes: it must arrive uncompressed.
      if (observer !== undefined) headers['accept-encoding'] = 'identity';
      const body = Buffer.concat(chunks);
      if (body.length > 0 || !['GET', 'HEAD'].includes(req.method ?? 'GET')) headers['content-length'] = String(body.length);
      upstream
        .prepare({ method: req.method ?? 'GET', path, headers, body })
        .then(({ url, headers: out }) => send(url, out, body))
        .catch((err: unknown) => {
          log.error({ err }, 'model credential broker: could not prepare the request');
          refuse(res, 502, 'The service could not authenticate the model request; its operator can see why in the log.', 'api_error');
        });
    });

    function send(url: URL, headers: Record<string, string>, body: Buffer, attempt = 1): void {
      const client = url.protocol === 'https:' ? https : http;
      const agent = url.protocol === 'https:' ? agents.https : agents.http;
      const up = client.request(url, { method: req.method, headers, agent });
      /** Charges the answer for what passed (once): set when the answer is metered. */
      let settle: (() => void) | undefined;
      let answered = false;
      up.on('response', (answer) => {
        answered = true;
        log.debug(
          { run: check.ok ? check.runId : undefined, method: req.method, path: url.pathname, status: answer.statusCode },
          'model request',
        );
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        if (answer.headers['content-length'] !== undefined) out['content-length'] = answer.headers['content-length'];
        answer.on('error', () => res.destroy());
        if (observer !== undefined && req.method === 'POST') {
          const tap = meter(answer, observer, path, body.length, upstream.kind);
          if (tap !== undefined) {
            settle = () => tap.end();
            // A run that ends with this answer under way is charged for it before its token goes.
            answer.once('close', tokens.track(token, settle));
          }
        }
        res.writeHead(answer.statusCode ?? 502, out);
        // Each chunk goes out as it comes in: a stream of events stays a stream.
        res.flushHeaders();
        answer.pipe(res);
      });
      up.on('error', (err: NodeJS.ErrnoException) => {
        if (res.headersSent) return res.destroy();
        // A kept-alive connection the endpoint closed just as it was reused: nothing reached the
        // endpoint, and the body is in hand, so sending it once more on a new connection is safe.
        if (up.reusedSocket && attempt === 1 && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          return send(url, headers, body, attempt + 1);
        }
        log.warn({ err, endpoint: upstream.endpoint }, 'model credential broker: the model endpoint did not answer');
        refuse(res, 502, `The model endpoint did not answer: ${err.message}`, 'api_error');
      });
      res.on('close', () => {
        // Cut before its end (the run closed the connection): charged for what passed, then stopped.
        settle?.();
        // Gone before the answer began: the provider has the prompt all the same, so it costs its input.
        // (`up.destroyed`: an attempt that failed and was sent again is the next attempt's to charge.)
        if (
          !answered &&
          !up.destroyed &&
          !res.writableFinished &&
          observer !== undefined &&
          req.method === 'POST' &&
          !isTokenCount(upstream.kind, path)
        ) {
          observer.onUsage(++lastCallId, modelInPath(path) ?? modelInBody(body), {
            input_tokens: Math.ceil(body.length / ESTIMATE_BYTES_PER_TOKEN),
            output_tokens: 0,
          });
        }
        if (!res.writableFinished) up.destroy();
      });
      up.end(body);
    }
  };
}

/**
 * Feeds an answer's usage to the run's observer as the answer streams (a successful one only: errors
 * cost nothing); the tap's `end` settles it, from the answer's end or from a cut.
 */
function meter(
  answer: http.IncomingMessage,
  observer: UsageObserver,
  path: string,
  requestBytes: number,
  kind: 'anthropic' | 'bedrock',
): UsageTap | undefined {
  const status = answer.statusCode ?? 0;
  if (status < 200 || status >= 300 || isTokenCount(kind, path)) return undefined;
  const callId = ++lastCallId;
  const pathModel = modelInPath(path);
  const tap = usageTap(answer.headers['content-type'], requestBytes, (model, usage) => observer.onUsage(callId, model ?? pathModel, usage));
  answer.on('data', (chunk: Buffer) => tap.write(chunk));
  answer.on('end', () => tap.end());
  answer.on('close', () => tap.end());
  return tap;
}

/** The Messages API names the model in the request (read from its head: the field comes first). */
function modelInBody(body: Buffer): string | undefined {
  return /"model"\s*:\s*"([A-Za-z0-9._:@/-]{1,256})"/.exec(body.subarray(0, 64 * 1024).toString('utf8'))?.[1];
}

/** Bedrock names the model in the path (the Anthropic API in the answer). */
function modelInPath(path: string): string | undefined {
  const named = /^\/model\/([^/]+)\//.exec(path)?.[1];
  return named === undefined ? undefined : safeDecode(named);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An error in the Anthropic API's shape. */
function refuse(res: http.ServerResponse, status: number, message: string, type = 'authentication_error'): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ type: 'error', error: { type, message: `cca broker: ${message}` } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/**
 * The hostile mix: every public route, and the kinds of malformed request thrown at it (bodies,
 * paths, headers, framing, methods), built as raw bytes from a seeded generator.
 */
import { randomUUID } from 'node:crypto';
import { rawBytes, type RawHeaders } from './raw-http.js';

/** What the mix aims at (a real session and file link, a working key) and its seeded random source. */
export interface MixContext {
  sessionId: string;
  fileLink: URL;
  key: string;
  r: () => number;
  pick: <T>(xs: readonly T[]) => T;
}

/** A route of the service and how to make a target for it. */
export interface Route {
  name: string;
  method: string;
  target: (ctx: MixContext) => string;
}

const SESSION_IDS = (ctx: MixContext) => [
  ctx.sessionId,
  ctx.sessionId,
  randomUUID(),
  '..',
  '%2e%2e',
  'a'.repeat(3000),
  '%F0%9F%92%A5',
  '-',
];

/** Every route of `cca serve`, plus unknown paths and methods. */
export const ROUTES: readonly Route[] = [
  { name: 'POST /invoke', method: 'POST', target: () => '/invoke' },
  { name: 'POST /invocations', method: 'POST', target: () => '/invocations' },
  {
    name: 'GET /sessions',
    method: 'GET',
    target: (c) => c.pick(['/sessions', '/sessions?limit=100', '/sessions?limit=1e3', '/sessions?cursor=WyJhIl0']),
  },
  { name: 'GET /sessions/{id}', method: 'GET', target: (c) => `/sessions/${c.pick(SESSION_IDS(c))}` },
  { name: 'GET /sessions/{id}/events', method: 'GET', target: (c) => `/sessions/${c.pick(SESSION_IDS(c))}/events` },
  { name: 'POST /sessions/{id}/cancel', method: 'POST', target: (c) => `/sessions/${c.pick(SESSION_IDS(c))}/cancel` },
  {
    name: 'POST /sessions/{id}/permissions/{rid}',
    method: 'POST',
    target: (c) => `/sessions/${c.pick(SESSION_IDS(c))}/permissions/${c.pick(['req_1', '..', 'x'.repeat(2000), '%00', '%FF'])}`,
  },
  {
    name: 'GET /files/*',
    method: 'GET',
    target: (c) => {
      const { pathname, searchParams } = c.fileLink;
      const expires = searchParams.get('expires') ?? '';
      const signature = searchParams.get('signature') ?? '';
      return c.pick([
        `${pathname}?expires=${expires}&signature=${signature}`,
        `${pathname}?expires=${expires}&signature=${signature.slice(0, -1)}x`,
        `${pathname}?expires=${'9'.repeat(40)}&signature=${signature}`,
        `${pathname}?expires=-1&signature=${signature}`,
        `${pathname}?expires=${expires}&signature=${'A'.repeat(5000)}`,
        `${pathname}/../../../etc/passwd?expires=${expires}&signature=${signature}`,
        `${pathname.replaceAll('/', '%2F')}?expires=${expires}&signature=${signature}`,
        `/files/${'%2e%2e/'.repeat(8)}etc/passwd`,
        '/files/',
      ]);
    },
  },
  { name: 'GET /health', method: 'GET', target: () => '/health' },
  { name: 'GET /ping', method: 'GET', target: () => '/ping' },
  { name: 'GET /openapi.json', method: 'GET', target: () => '/openapi.json' },
  { name: 'GET /docs', method: 'GET', target: () => '/docs' },
  {
    name: 'unknown path',
    method: 'GET',
    target: (c) =>
      c.pick([
        '/nope',
        '/',
        '//invoke',
        '/invoke/',
        '/sessions/',
        '/INVOKE',
        '/health/../sessions',
        '/%2e%2e/%2e%2e/etc/passwd',
        `/sessions/${c.sessionId}/nope`,
      ]),
  },
  { name: 'unknown method', method: 'DELETE', target: (c) => c.pick(['/invoke', `/sessions/${c.sessionId}`, '/health', '/files/x']) },
];

/** The kinds of hostile request; each route meets each kind. */
export const KINDS = [
  'random JSON',
  'wrong types',
  'huge',
  'deep nesting',
  'invalid UTF-8 body',
  'invalid UTF-8 path',
  'NUL bytes',
  'overlong headers',
  'short Content-Length',
  'long Content-Length',
  'chunked',
  'Transfer-Encoding and Content-Length',
  'bad Content-Type',
  'absurd Last-Event-ID',
  'weird method',
  'odd Host or request target',
] as const;
/** One kind of hostile request. */
export type Kind = (typeof KINDS)[number];

const JSON_KEYS = [
  'prompt',
  'decision',
  'message',
  'session_id',
  'max_turns',
  'timeout_s',
  'async',
  'allowed_tools',
  '__proto__',
  'constructor',
];
const JSON_STRINGS = ['', ' ', 'allow', 'deny', 'acceptAll', '../..', '\u0000', '💥', '\ud800', 'x'.repeat(3000), '{"a":'];

function randomJson(c: MixContext, depth = 0): unknown {
  switch (Math.floor(c.r() * (depth > 3 ? 4 : 6))) {
    case 0:
      return c.pick([null, true, false, 0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER]);
    case 1:
    case 2:
    case 3:
      return c.pick(JSON_STRINGS);
    case 4:
      return Array.from({ length: Math.floor(c.r() * 4) }, () => randomJson(c, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(c.r() * 4) + 1 }, () => [c.pick(JSON_KEYS), randomJson(c, depth + 1)]));
  }
}

// None of these is a valid request: a body that runs a task is chosen on purpose elsewhere.
const WRONG_TYPES = [
  '{"prompt":42}',
  '{"prompt":["a"]}',
  '{"prompt":{"$gt":""}}',
  '{"prompt":null}',
  '{"prompt":"x","max_turns":"5"}',
  '{"prompt":"x","max_turns":0}',
  '{"prompt":"x","timeout_s":1e309}',
  '{"prompt":"x","session_id":123}',
  '{"prompt":"x","async":"yes"}',
  '{"prompt":"x","allowed_tools":{"Bash":true}}',
  '{"decision":true}',
  '{"decision":"allow","message":{}}',
  '{"decision":["allow"]}',
  '"allow"',
  '42',
  'null',
  '[]',
  'true',
];

const WEIRD_METHODS = [
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'MKCOL',
  'SEARCH',
  'PURGE',
  'LINK',
  'QUERY',
  'REPORT',
  'M-SEARCH',
  'get',
  'FOO',
  'G\xffT',
];

/** A request ready to send, and how to send it. */
export interface BuiltRequest {
  bytes: Buffer;
  halfCloseAfterMs?: number;
  /** The server may close without answering (CONNECT). */
  mayDrop?: boolean;
}

/**
 * The bytes of one hostile request of `kind` at `route`, drawn from `c.r`.
 * @example const req = buildRequest('chunked', ROUTES[0], ctx); await sendRaw(port, req.bytes);
 */
export function buildRequest(kind: Kind, route: Route, c: MixContext): BuiltRequest {
  let method = route.method;
  let target = route.target(c);
  const headers: RawHeaders = c.r() < 0.9 ? [['x-api-key', c.key]] : [];
  let body: string | Buffer = route.method === 'POST' ? JSON.stringify(randomJson(c)) : '';
  let framing: 'length' | 'none' = 'length';
  let halfCloseAfterMs: number | undefined;
  const json = () => headers.push(['Content-Type', 'application/json']);

  switch (kind) {
    case 'random JSON':
      json();
      body = JSON.stringify(randomJson(c));
      break;
    case 'wrong types':
      json();
      body = c.pick(WRONG_TYPES);
      break;
    case 'huge': {
      const huge = 'x'.repeat(1_100_000);
      const where = c.pick(['body', 'body', 'prompt under the body limit', 'query', 'header']);
      if (where === 'body') body = JSON.stringify({ prompt: huge, decision: huge });
      else if (where === 'prompt under the body limit') body = JSON.stringify({ prompt: huge.slice(0, 1_000_000), max_turns: 0 });
      else if (where === 'query') target = `${target}${target.includes('?') ? '&' : '?'}q=${huge}`;
      else headers.push(['X-Huge', huge]);
      json();
      break;
    }
    case 'deep nesting':
      json();
      body = '['.repeat(100_000) + (c.r() < 0.5 ? ']'.repeat(100_000) : '');
      break;
    case 'invalid UTF-8 body': {
      const bad = Buffer.from(c.pick([[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3]]));
      json();
      // max_turns 0 keeps a decodable body from running a task; the decoding is what is tested.
      body = c.pick([
        Buffer.concat([Buffer.from('{"prompt":"'), bad, Buffer.from('","max_turns":0}')]),
        Buffer.concat([Buffer.from('{"decision":"'), bad, Buffer.from('"}')]),
        Buffer.concat([Buffer.from('{"'), bad, Buffer.from('":1}')]),
        Buffer.concat([bad, Buffer.from('{}')]),
      ]);
      break;
    }
    case 'invalid UTF-8 path': {
      const [path = '/', query] = target.split('?');
      const bad = c.pick(['%FF%FE', '%C0%AF', '%ED%A0%80', '%', '%G0', '\xff\xfe', '\xc3', '\xe2\x82']);
      target = `${path}${path.endsWith('/') ? '' : '/'}${bad}${query === undefined ? '' : `?${query}`}`;
      break;
    }
    case 'NUL bytes':
      switch (c.pick(['path', 'encoded path', 'header', 'body', 'prompt'])) {
        case 'path':
          target = `${target}\0x`;
          break;
        case 'encoded path':
          target = target.includes('?') ? target.replace('?', '%00?') : `${target}%00`;
          break;
        case 'header':
          headers.push(['X-Nul', 'a\0b']);
          break;
        case 'body':
          body = Buffer.from('{"prompt":"a\0b","max_turns":0}');
          break;
        default:
          // Valid JSON with an escaped NUL: on /invoke this runs a real task with it in the prompt.
          json();
          body = JSON.stringify({ prompt: 'nul \u0000 inside', decision: '\u0000' });
      }
      break;
    case 'overlong headers':
      switch (c.pick(['one long value', 'many headers', 'long name', 'long target'])) {
        case 'one long value':
          headers.push(['X-Long', 'v'.repeat(20_000)]);
          break;
        case 'many headers':
          for (let i = 0; i < 400; i++) headers.push([`X-H${i}`, 'v'.repeat(50)]);
          break;
        case 'long name':
          headers.push([`X-${'n'.repeat(20_000)}`, 'v']);
          break;
        default:
          target = `${target}${target.includes('?') ? '&' : '?'}pad=${'p'.repeat(20_000)}`;
      }
      break;
    case 'short Content-Length':
      json();
      body = '{"prompt":"lie about the length","max_turns":0}';
      headers.push(['Content-Length', String(Math.floor(c.r() * body.length))]);
      framing = 'none';
      break;
    case 'long Content-Length':
      json();
      body = '{"prompt":"the rest never comes"}';
      headers.push(['Content-Length', String(body.length + 1 + Math.floor(c.r() * 10_000))]);
      framing = 'none';
      halfCloseAfterMs = 100;
      break;
    case 'chunked': {
      json();
      const payload = c.r() < 0.5 ? '{"prompt":"chunked","max_turns":0}' : JSON.stringify(randomJson(c));
      headers.push(['Transfer-Encoding', c.pick(['chunked', 'chunked', 'Chunked', 'gzip, chunked', 'chunked, chunked', 'identity'])]);
      framing = 'none';
      const style = c.pick(['whole', 'extensions', 'bad size', 'unfinished', 'huge size']);
      if (style === 'whole' || style === 'extensions') {
        const ext = style === 'extensions' ? ';name=value;x' : '';
        const parts = payload.match(/[\s\S]{1,7}/g) ?? [];
        body = `${parts.map((p) => `${Buffer.byteLength(p).toString(16)}${ext}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
      } else if (style === 'bad size') body = `zz\r\n${payload}\r\n0\r\n\r\n`;
      else if (style === 'huge size') {
        // A chunk of 2^64 - 1 bytes is well-formed: the server waits for it until the client gives up.
        body = `ffffffffffffffff\r\n${payload}\r\n0\r\n\r\n`;
        halfCloseAfterMs = 100;
      } else {
        body = `ff\r\n${payload}`;
        halfCloseAfterMs = 100;
      }
      break;
    }
    case 'Transfer-Encoding and Content-Length':
      json();
      body = '5\r\n{"a":\r\n0\r\n\r\n';
      headers.push(['Transfer-Encoding', 'chunked'], ['Content-Length', String(c.pick([0, 3, body.length, 100]))]);
      framing = 'none';
      halfCloseAfterMs = 200;
      break;
    case 'bad Content-Type':
      headers.push([
        'Content-Type',
        c.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=',
          'application/json; charset=utf-16',
          'application/json; charset=nope',
          'garbage/;;',
          ';;;',
          '',
          'a'.repeat(5000),
        ]),
      ]);
      body = c.r() < 0.5 ? c.pick(WRONG_TYPES) : 'prompt=hello&max_turns=0';
      break;
    case 'absurd Last-Event-ID': {
      const id = c.pick([
        '-1',
        '1e400',
        'NaN',
        'Infinity',
        '9'.repeat(400),
        '0x1F',
        '1.5',
        '-0',
        ' ',
        '18446744073709551616',
        '\xff\xfe',
        '1,2',
      ]);
      headers.push(['Last-Event-ID', id]);
      // Mostly at the event stream of a real session, where the value is read.
      if (c.r() < 0.7) target = `/sessions/${c.sessionId}/events${c.r() < 0.3 ? `?after=${encodeURIComponent(id)}` : ''}`;
      break;
    }
    case 'weird method':
      method = c.pick(WEIRD_METHODS);
      if (method === 'OPTIONS' && c.r() < 0.5) headers.push(['Origin', 'https://evil.example'], ['Access-Control-Request-Method', 'POST']);
      if (method === 'CONNECT') target = c.pick(['127.0.0.1:1', target]);
      break;
    case 'odd Host or request target': {
      const odd = c.pick([
        'evil.example',
        '',
        'a b',
        '[::1',
        'x:99999',
        '127.0.0.1:0',
        'a%00b',
        'h'.repeat(300),
        'twice',
        'absolute',
        'asterisk',
      ]);
      if (odd === 'twice') headers.push(['Host', '127.0.0.1'], ['Host', 'evil.example']);
      else if (odd === 'absolute') target = `${c.pick(['http://evil.example', 'https://127.0.0.1', 'ftp://x', 'http://[::1'])}${target}`;
      else if (odd === 'asterisk') target = '*';
      else headers.push(['Host', odd]);
      break;
    }
  }

  if (framing === 'length') headers.push(['Content-Length', String(Buffer.byteLength(body))]);
  return {
    bytes: rawBytes(method, target, headers, body),
    ...(halfCloseAfterMs === undefined ? {} : { halfCloseAfterMs }),
    ...(method === 'CONNECT' ? { mayDrop: true } : {}),
  };
}

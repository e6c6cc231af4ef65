/**
 * Hostile input over real HTTP: every route gets a seeded-random mix of malformed bodies, paths,
 * headers, framing and methods and never answers 5xx; every way around the API key is refused with
 * API Gateway's 403; one key's sessions do not exist for another. Requests that `fetch` will not
 * send (duplicate headers, lying Content-Length, raw bytes) go over a bare socket.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, text, toolUse, userTexts } from '../support/model-server.js';
import { buildRequest, KINDS, ROUTES, type MixContext } from '../support/hostile-requests.js';
import { rawBytes, sendRaw, type RawHeaders } from '../support/raw-http.js';
import { rng } from '../support/rng.js';
import { startTestService, type TestService } from '../support/service.js';

// HOSTILE_SEED=<n> replays or explores another mix; a failure prints the seed and request number.
const SEED = Number(process.env.HOSTILE_SEED ?? 20261125);
const MIX_REQUESTS = 320;
const FORBIDDEN = { message: 'Forbidden' };

const responder = scenarios({
  write: [{ content: [toolUse('Write', { file_path: 'hostile.txt', content: 'still here\n' })] }, { content: [text('Wrote it.')] }],
  // The model never answers: the run stays in progress until it is cancelled.
  hang: [{ hang: true }],
});

interface Logged {
  level: number;
  msg: string;
  path?: string;
  err?: { message?: string };
}

async function call(
  svc: TestService,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${svc.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const raw = await res.text();
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // Not JSON: the assertion shows the text.
  }
  return { status: res.status, body };
}

/** Waits until no run is active or queued (async runs started by the mix finish in the background). */
async function idle(svc: TestService): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = await call(svc, '/health');
    if (health.body.runs.active === 0 && health.body.runs.queued === 0) return;
    if (Date.now() > deadline) throw new Error(`runs still active: ${JSON.stringify(health.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('hostile input on every route', () => {
  let svc: TestService;
  let port: number;
  let key: string;
  let sessionId: string;
  let fileLink: URL;
  const logs: Logged[] = [];

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Logged) });
    svc = await startTestService({ mode: 'serve', responder, logger });
    port = Number(new URL(svc.url).port);
    key = svc.runtime.keys.create('hostile', { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000, maxConcurrent: 50 }).key;
    const seeded = await call(svc, '/invoke', { headers: { 'x-api-key': key }, body: { prompt: '[[scenario:write]] seed' } });
    expect(seeded.body.output.success).toBe(true);
    sessionId = seeded.body.output.session_id;
    fileLink = new URL(seeded.body.output.metadata.uploaded_files[0].download_url);
  });
  afterAll(async () => svc?.close());

  it(`never answers 5xx to ${MIX_REQUESTS} seeded-random hostile requests, and still runs a real task afterwards`, async () => {
    const r = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const ctx: MixContext = { sessionId, fileLink, key, r, pick };
    const tally = new Map<string, number>();
    const started = Date.now();
    // Every route meets every kind at least once, in a shuffled order; the rest is drawn at random.
    const plan = ROUTES.flatMap((route) => KINDS.map((kind) => ({ route, kind, order: r() })))
      .sort((a, b) => a.order - b.order)
      .map(({ route, kind }) => ({ route, kind }));
    while (plan.length < MIX_REQUESTS) plan.push({ route: pick(ROUTES), kind: pick(KINDS) });
    for (const [i, { route, kind }] of plan.entries()) {
      const req = buildRequest(kind, route, ctx);
      const res = await sendRaw(port, req.bytes, req.halfCloseAfterMs === undefined ? {} : { halfCloseAfterMs: req.halfCloseAfterMs });
      const label = `seed ${SEED}, request ${i}: ${kind} on ${route.name}: ${req.bytes.subarray(0, 300).toString('latin1')}`;
      expect(
        res.statuses.filter((s) => s >= 500),
        `${label}\n<< ${res.raw.slice(0, 500)}`,
      ).toEqual([]);
      // Only a CONNECT may be dropped without an answer: Node closes such a connection at once.
      if (!req.mayDrop) expect(res.first?.status, `${label}\n<< ${res.raw.slice(0, 500)}`).toBeDefined();
      // Every request says Connection: close: the server ends each connection, none is left hanging.
      expect(res.closed, `${label}\n<< ${res.raw.slice(0, 500)}`).toBe(true);
      const outcome = `${kind} ${res.first?.status ?? 'closed'}`;
      tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    }
    const statuses = [...tally.keys()].map((k) => k.slice(k.lastIndexOf(' ') + 1));
    // The mix reached the handlers and the HTTP layer alike, not just one kind of refusal.
    for (const expected of ['200', '400', '403', '404', '431']) expect(statuses, JSON.stringify([...tally])).toContain(expected);
    console.info(
      `hostile mix: ${MIX_REQUESTS} requests in ${Date.now() - started} ms: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`,
    );

    // Nothing the clients did counts as a fault of the service.
    expect(logs.filter((l) => l.level >= 50).map((l) => `${l.msg} ${l.path} ${l.err?.message}`)).toEqual([]);
    await idle(svc);
    const health = await call(svc, '/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    // Control characters, a lone surrogate and direction overrides in a prompt reach the agent and run.
    const odd = await call(svc, '/invoke', {
      headers: { 'x-api-key': key },
      body: { prompt: 'odd \u0000 nul \ud800 lone \u202e rtl \u001b[31m esc \r\n --flag "quote\' $(x) `y`' },
    });
    expect(odd.status).toBe(200);
    expect(odd.body.output.success).toBe(true);
    const seen = svc.model.requests.flatMap((req) => (req.kind === 'main' ? userTexts(req.body) : []));
    expect(seen.some((t) => t.includes('odd \u0000 nul') && t.includes('\u202e rtl \u001b[31m esc'))).toBe(true);
    const after = await call(svc, '/invoke', { headers: { 'x-api-key': key }, body: { prompt: '[[scenario:write]] after the storm' } });
    expect(after.status).toBe(200);
    expect(after.body.output).toMatchObject({ success: true, result: 'Wrote it.' });
    const [file] = after.body.output.metadata.uploaded_files;
    expect(file.file_name).toBe('hostile.txt');
    expect(await (await fetch(file.download_url)).text()).toBe('still here\n');
  }, 180_000);

  it('answers 413 to a 1 MB+ body, sent with a Content-Length or chunked, and 400 to a 1 MB prompt under the limit', async () => {
    const huge = JSON.stringify({ prompt: 'x'.repeat(1_100_000), decision: 'allow' });
    const chunked = `${(huge.match(/[\s\S]{1,65536}/g) ?? []).map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
    for (const path of ['/invoke', '/invocations', `/sessions/${sessionId}/permissions/req_1`]) {
      const headers: RawHeaders = [
        ['x-api-key', key],
        ['Content-Type', 'application/json'],
      ];
      const withLength = await sendRaw(port, rawBytes('POST', path, [...headers, ['Content-Length', String(huge.length)]], huge));
      const streamed = await sendRaw(port, rawBytes('POST', path, [...headers, ['Transfer-Encoding', 'chunked']], chunked));
      for (const res of [withLength, streamed]) {
        expect(res.first?.status, path).toBe(413);
        expect(JSON.parse(res.first?.body ?? '')).toMatchObject({ code: 'payload_too_large' });
      }
    }
    const longPrompt = await call(svc, '/invoke', { headers: { 'x-api-key': key }, body: { prompt: 'x'.repeat(1_000_000) } });
    expect(longPrompt.status).toBe(400);
    expect(longPrompt.body.message).toMatch(/prompt/);
  });

  it('closes the connection after an event stream when the client asked for Connection: close', async () => {
    for (const lastEventId of [[], [['Last-Event-ID', '1']], [['Last-Event-ID', '999999']]] as RawHeaders[]) {
      const res = await sendRaw(port, rawBytes('GET', `/sessions/${sessionId}/events`, [['x-api-key', key], ...lastEventId]), {
        timeoutMs: 3000,
      });
      expect(res.first?.status).toBe(200);
      expect(res.first?.headers['connection']).toBe('close');
      expect(res.closed).toBe(true);
    }
  });

  it('refuses a half-sent body without logging an error when the client goes away', async () => {
    const before = logs.length;
    for (const path of ['/invoke', '/invocations', `/sessions/${sessionId}/permissions/r1`]) {
      const head: RawHeaders = [
        ['x-api-key', key],
        ['Content-Type', 'application/json'],
        ['Connection', 'keep-alive'],
      ];
      // Declares 100 bytes, sends 14, then drops the connection; the same with a chunk never finished.
      await sendRaw(port, rawBytes('POST', path, [...head, ['Content-Length', '100']], '{"prompt":"a"}'), { timeoutMs: 300 });
      await sendRaw(port, rawBytes('POST', path, [...head, ['Transfer-Encoding', 'chunked']], '20\r\n{"prompt":'), { timeoutMs: 300 });
      const halfClosed = await sendRaw(port, rawBytes('POST', path, [...head, ['Content-Length', '100']], '{"prompt":"a"}'), {
        halfCloseAfterMs: 100,
      });
      expect(halfClosed.first?.status).toBe(400);
    }
    await new Promise((r) => setTimeout(r, 300));
    const added = logs.slice(before);
    expect(added.filter((l) => l.level >= 50).map((l) => `${l.msg} ${l.path}`)).toEqual([]);
    expect(added.some((l) => l.msg === 'client went away during the request')).toBe(true);
    expect((await call(svc, '/health')).status).toBe(200);
  });
});

describe('API key bypass attempts', () => {
  let svc: TestService;
  let other: TestService;
  let port: number;
  let key: string;
  let keyId: string;
  let revoked: string;
  let foreign: string;
  let sessionId: string;

  beforeAll(async () => {
    svc = await startTestService({ mode: 'serve', responder });
    port = Number(new URL(svc.url).port);
    const made = svc.runtime.keys.create('alice', { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000 });
    key = made.key;
    keyId = made.record.id;
    const temp = svc.runtime.keys.create('temp');
    revoked = temp.key;
    expect((await call(svc, '/sessions', { headers: { 'x-api-key': revoked } })).status).toBe(200);
    svc.runtime.keys.revoke(temp.record.id);
    // A working key of another service with its own data directory.
    other = await startTestService({ mode: 'serve', model: svc.model });
    foreign = other.runtime.keys.create('elsewhere').key;
    expect((await call(other, '/sessions', { headers: { 'x-api-key': foreign } })).status).toBe(200);
    const seeded = await call(svc, '/invoke', { headers: { 'x-api-key': key }, body: { prompt: 'a session to aim at' } });
    sessionId = seeded.body.output.session_id;
  });
  afterAll(async () => {
    await other?.close();
    await svc?.close();
  });

  /** Every route behind the key, with a body that would run a task if it got through. */
  const guarded = (): { method: string; path: string; body?: unknown }[] => [
    { method: 'POST', path: '/invoke', body: { prompt: 'must not run' } },
    { method: 'POST', path: '/invocations', body: { prompt: 'must not run' } },
    { method: 'GET', path: '/sessions' },
    { method: 'GET', path: `/sessions/${sessionId}` },
    { method: 'GET', path: `/sessions/${sessionId}/events` },
    { method: 'POST', path: `/sessions/${sessionId}/cancel`, body: {} },
    { method: 'POST', path: `/sessions/${sessionId}/permissions/req_1`, body: { decision: 'allow' } },
  ];

  const changed = (s: string, at: number) => {
    const i = at < 0 ? s.length + at : at;
    const c = s[i] === 'A' ? 'E' : 'A';
    return s.slice(0, i) + c + s.slice(i + 1);
  };

  it('refuses every forged, missing, malformed, revoked or foreign key on every guarded route', async () => {
    const secret = key.slice('cca_'.length + 13);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const attempts: [string, Record<string, string>][] = [
      ['no key', {}],
      ['an empty x-api-key', { 'x-api-key': '' }],
      ['a whitespace-only x-api-key', { 'x-api-key': ' \t ' }],
      ['a changed character in the id', { 'x-api-key': changed(key, 6) }],
      ['a changed first character of the secret', { 'x-api-key': changed(key, 17) }],
      ['a changed middle character of the secret', { 'x-api-key': changed(key, 38) }],
      ['a changed last character', { 'x-api-key': changed(key, -1) }],
      ['the prefix in capitals', { 'x-api-key': `CCA${key.slice(3)}` }],
      ['the whole key in capitals', { 'x-api-key': key.toUpperCase() }],
      ['one character more', { 'x-api-key': `${key}A` }],
      ['one character less', { 'x-api-key': key.slice(0, -1) }],
      ['a space inside', { 'x-api-key': `${key.slice(0, 20)} ${key.slice(20)}` }],
      ['the secret alone', { 'x-api-key': secret }],
      ['the id alone', { 'x-api-key': `cca_${keyId}` }],
      ['the right id with a wrong, well-formed secret', { 'x-api-key': `cca_${keyId}_${randomBytes(32).toString('base64url')}` }],
      ['the right id with the secret of another key', { 'x-api-key': `cca_${keyId}_${revoked.slice(17)}` }],
      ['another id with the right secret', { 'x-api-key': `cca_${changed(keyId, 0)}_${secret}` }],
      ['a revoked key', { 'x-api-key': revoked }],
      ['a revoked key as a bearer token', { authorization: `Bearer ${revoked}` }],
      ['a revoked key as a lowercase bearer token', { authorization: `bearer ${revoked}` }],
      ['a key of another data directory', { 'x-api-key': foreign }],
      ['a key of another data directory as a bearer token', { authorization: `Bearer ${foreign}` }],
      ['Basic with the key', { authorization: `Basic ${key}` }],
      ['Basic with key:', { authorization: `Basic ${b64(`${key}:`)}` }],
      ['Basic with user:key', { authorization: `Basic ${b64(`user:${key}`)}` }],
      ['Bearer with an extra part', { authorization: `Bearer ${key} extra` }],
      ['Bearer with the key split in two', { authorization: `Bearer ${key.slice(0, 20)} ${key.slice(20)}` }],
      ['Bearer twice', { authorization: `Bearer Bearer ${key}` }],
      ['Bearer with no token', { authorization: 'Bearer' }],
      ['Bearer with a comma-joined pair', { authorization: `Bearer ${key}, Bearer ${key}` }],
      ['another scheme', { authorization: `Token ${key}` }],
      ['the key alone in Authorization', { authorization: key }],
      ['a wrong x-api-key beside a valid bearer token', { 'x-api-key': 'nope', authorization: `Bearer ${key}` }],
      ['an empty x-api-key beside a valid bearer token', { 'x-api-key': '', authorization: `Bearer ${key}` }],
      ['the key in look-alike headers', { 'api-key': key, apikey: key, 'x-api_key': key, 'x-apikey': key, 'x-amz-api-key': key }],
      ['the key in a cookie', { cookie: `x-api-key=${key}; api_key=${key}` }],
      ['a 10 KB key', { 'x-api-key': `${key}${'A'.repeat(10_000)}` }],
      ['a 10 KB bearer token', { authorization: `Bearer ${'A'.repeat(10_000)}${key}` }],
    ];
    const modelCalls = svc.model.requests.length;
    for (const [label, headers] of attempts) {
      for (const route of guarded()) {
        const res = await call(svc, route.path, { method: route.method, headers, body: route.body });
        expect({ attempt: label, route: `${route.method} ${route.path}`, ...res }).toEqual({
          attempt: label,
          route: `${route.method} ${route.path}`,
          status: 403,
          body: FORBIDDEN,
        });
      }
    }
    // The key in the query string, under any of the usual names, is not a key.
    for (const name of ['api_key', 'apiKey', 'x-api-key', 'key', 'access_token', 'token']) {
      for (const route of guarded()) {
        const res = await call(svc, `${route.path}?${name}=${encodeURIComponent(key)}`, { method: route.method, body: route.body });
        expect({ query: name, route: route.path, ...res }).toEqual({ query: name, route: route.path, status: 403, body: FORBIDDEN });
      }
    }
    // No refused request reached the model.
    expect(svc.model.requests.length).toBe(modelCalls);
  }, 120_000);

  it('refuses duplicated key headers in either order, and keys hidden in odd framing (raw socket)', async () => {
    const bad = changed(key, -1);
    const cases: [string, RawHeaders, string?][] = [
      [
        'valid then invalid x-api-key',
        [
          ['x-api-key', key],
          ['x-api-key', bad],
        ],
      ],
      [
        'invalid then valid x-api-key',
        [
          ['x-api-key', bad],
          ['x-api-key', key],
        ],
      ],
      [
        'valid then empty x-api-key',
        [
          ['x-api-key', key],
          ['x-api-key', ''],
        ],
      ],
      [
        'the valid key twice',
        [
          ['x-api-key', key],
          ['X-Api-Key', key],
        ],
      ],
      [
        'valid then invalid bearer',
        [
          ['Authorization', `Bearer ${key}`],
          ['Authorization', `Bearer ${bad}`],
        ],
      ],
      [
        'invalid then valid bearer',
        [
          ['Authorization', `Bearer ${bad}`],
          ['Authorization', `Bearer ${key}`],
        ],
      ],
      ['a key with a latin1 byte appended', [['x-api-key', `${key}\xff`]]],
      ['a key with a NUL appended', [['x-api-key', `${key}\0`]]],
      ['a key with a bare CR inside', [['x-api-key', `${key.slice(0, 20)}\r${key.slice(20)}`]]],
      // Folded, the value is "<key> extra": the continuation must not be dropped to leave the valid key.
      ['a key with a folded continuation line', [['x-api-key', `${key}\r\n extra`]]],
      ['a space before the colon', [['x-api-key ', key]]],
    ];
    for (const method of ['GET', 'POST']) {
      const path = method === 'GET' ? '/sessions' : '/invoke';
      for (const [label, headers] of cases) {
        const body = method === 'POST' ? '{"prompt":"must not run"}' : '';
        const res = await sendRaw(port, rawBytes(method, path, [...headers, ['Content-Length', String(body.length)]], body));
        // Malformed framing may be refused by the HTTP parser (400) before the key check: either way, never admitted.
        expect([403, 400], `${label} on ${path}: ${res.raw.slice(0, 200)}`).toContain(res.first?.status);
        if (res.first?.status === 403) expect(JSON.parse(res.first.body), label).toEqual(FORBIDDEN);
      }
    }
    // A key sent in the trailer of a chunked body arrives after the key check and is not a key.
    const trailer = await sendRaw(
      port,
      rawBytes(
        'POST',
        '/invoke',
        [
          ['Transfer-Encoding', 'chunked'],
          ['Trailer', 'x-api-key'],
        ],
        `2\r\n{}\r\n0\r\nx-api-key: ${key}\r\n\r\n`,
      ),
    );
    expect(trailer.first?.status).toBe(403);
    // So large a key is refused by the HTTP layer itself, never admitted.
    const huge = await sendRaw(port, rawBytes('GET', '/sessions', [['x-api-key', `${key}${'A'.repeat(100_000)}`]]));
    expect(huge.first?.status).toBe(431);
  });

  it('accepts the valid key in any header-name case, with surrounding whitespace, or as a bearer token in any scheme case', async () => {
    // Surrounding whitespace is not part of a header value (RFC 9110 5.5); the middleware trims too.
    const accepted: [string, RawHeaders][] = [
      ['x-api-key', [['x-api-key', key]]],
      ['X-Api-Key', [['X-Api-Key', key]]],
      ['X-API-KEY', [['X-API-KEY', key]]],
      ['x-API-key', [['x-API-key', key]]],
      ['leading and trailing spaces', [['x-api-key', `  ${key}  `]]],
      ['leading and trailing tabs', [['x-api-key', `\t${key}\t`]]],
      ['Authorization: Bearer', [['Authorization', `Bearer ${key}`]]],
      ['authorization: bearer', [['authorization', `bearer ${key}`]]],
      ['AUTHORIZATION: BEARER with extra spaces', [['AUTHORIZATION', `BEARER   ${key}  `]]],
    ];
    for (const [label, headers] of accepted) {
      const res = await sendRaw(port, rawBytes('GET', '/sessions', headers));
      expect(res.first?.status, `${label}: ${res.raw.slice(0, 200)}`).toBe(200);
      expect(JSON.parse(res.first?.body ?? '').sessions.map((s: { session_id: string }) => s.session_id)).toContain(sessionId);
    }
    // The same through fetch, which sends header names in lowercase.
    expect((await call(svc, '/sessions', { headers: { 'X-Api-Key': ` ${key} ` } })).status).toBe(200);
    expect((await call(svc, '/sessions', { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
  });
});

describe('tenancy: one key’s sessions do not exist for another', () => {
  let svc: TestService;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    svc = await startTestService({ mode: 'serve', responder });
    keyA = svc.runtime.keys.create('alice', { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000 }).key;
    keyB = svc.runtime.keys.create('bob', { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000 }).key;
  });
  afterAll(async () => svc?.close());

  it('answers 404 to key B on every session route, for a finished and a running session of key A alike', async () => {
    const as = (k: string) => ({ 'x-api-key': k });
    const finished = await call(svc, '/invoke', { headers: as(keyA), body: { prompt: '[[scenario:write]] mine' } });
    expect(finished.body.output.success).toBe(true);
    const running = await call(svc, '/invoke', { headers: as(keyA), body: { prompt: '[[scenario:hang]] mine too', async: true } });
    expect(running.status).toBe(202);
    const ids = { finished: finished.body.output.session_id as string, running: running.body.session_id as string };
    await waitForStatus(svc, keyA, ids.running, 'running');

    const probes = (id: string) => [
      { method: 'GET', path: `/sessions/${id}` },
      { method: 'GET', path: `/sessions/${id}/events` },
      { method: 'GET', path: `/sessions/${id}/events?after=0` },
      { method: 'POST', path: `/sessions/${id}/cancel`, body: {} },
      { method: 'POST', path: `/sessions/${id}/permissions/req_1`, body: { decision: 'allow' } },
      { method: 'POST', path: '/invoke', body: { prompt: 'take it over', session_id: id } },
      {
        method: 'POST',
        path: '/invocations',
        body: { prompt: 'take it over' },
        headers: { 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id': id },
      },
    ];
    const nobody = randomUUID();
    for (const [which, id] of Object.entries(ids)) {
      const unknown = probes(nobody);
      for (const [i, probe] of probes(id).entries()) {
        const res = await call(svc, probe.path, { method: probe.method, headers: { ...as(keyB), ...probe.headers }, body: probe.body });
        const label = `${which} session, ${probe.method} ${probe.path}`;
        expect(res.status, label).toBe(404);
        expect(res.body.code, label).toBe('not_found');
        // On the session routes, exactly what a session that does not exist gets: nothing tells B it
        // is there. (An unknown id on /invoke would start a new session of B's: not comparable.)
        const none = unknown[i];
        if (none !== undefined && none.path.startsWith('/sessions/')) {
          const other = await call(svc, none.path, { method: none.method, headers: as(keyB), body: none.body });
          expect({ status: other.status, message: other.body.message.replaceAll(nobody, 'ID') }, label).toEqual({
            status: 404,
            message: res.body.message.replaceAll(id, 'ID'),
          });
        }
      }
    }
    const listB = await call(svc, '/sessions?limit=100', { headers: as(keyB) });
    expect(listB.body.sessions.map((s: { session_id: string }) => s.session_id)).not.toContain(ids.finished);
    expect(listB.body.sessions.map((s: { session_id: string }) => s.session_id)).not.toContain(ids.running);

    // B changed nothing: A's running session is still running, and A can cancel it.
    const stillRunning = await call(svc, `/sessions/${ids.running}`, { headers: as(keyA) });
    expect(stillRunning.body.status).toBe('running');
    expect(stillRunning.body.invocations).toHaveLength(1);
    expect((await call(svc, `/sessions/${ids.running}/cancel`, { headers: as(keyA), body: {} })).status).toBe(202);
    await waitForStatus(svc, keyA, ids.running, 'cancelled');
    expect((await call(svc, `/sessions/${ids.finished}`, { headers: as(keyA) })).body.invocations).toHaveLength(1);
  }, 120_000);
});

async function waitForStatus(svc: TestService, key: string, id: string, status: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await call(svc, `/sessions/${id}`, { headers: { 'x-api-key': key } });
    if (res.body.status === status) return;
    if (Date.now() > deadline) throw new Error(`session ${id} is ${JSON.stringify(res.body.status)}, not ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

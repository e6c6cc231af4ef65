/**
 * Random bodies and headers on the public routes never get a 5xx, and the service stays up. Bodies
 * that happen to be valid run for real (the scripted model answers at once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../support/rng.js';
import { startTestService, type TestService } from '../support/service.js';

const KEYS = [
  'prompt',
  'input',
  'permission_mode',
  'allowed_tools',
  'session_id',
  'max_turns',
  'max_budget_usd',
  'timeout_s',
  'model',
  '__proto__',
  'constructor',
];
const STRINGS = ['', ' ', 'acceptEdits', 'manual', 'Bash,Read', 'Nope', '../..', '\u0000', '💥', 'x'.repeat(3000), '{"a":', '\ud800'];

/** Header values must be bytes; these are odd session ids as a client could send them. */
const HEADER_VALUES = ['', ' ', 'a/b', '../..', '.', 'x'.repeat(300), '%00', 'ok-session'];
/** Already-encoded path and query fragments, malformed ones included. */
const RAW_QUERY = [
  '',
  '%00',
  '%ZZ',
  '%2e%2e%2f',
  '..%2f..',
  '%F0%9F%92%A5',
  '%ED%A0%80',
  'x'.repeat(3000),
  '-1',
  '1e9',
  '101',
  '0',
  '20',
  'WyJhIiwiYiJd',
];

function value(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 4 ? 5 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER, 7][Math.floor(r() * 6)];
    case 3:
    case 4:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(r() * 5) }, () => [KEYS[Math.floor(r() * KEYS.length)], value(r, depth + 1)]),
      );
  }
}

function body(r: () => number): string {
  const kind = r();
  if (kind < 0.1) return ['{', '[]', 'null', '"x"', '{"prompt": "a"', '\u00ff\u00fe', '{}'.repeat(50)][Math.floor(r() * 7)] as string;
  if (kind < 0.15) return `${'['.repeat(2000)}${']'.repeat(2000)}`;
  const obj = value(r, 0);
  // Now and then a body that is valid: it must run and answer 200.
  if (r() < 0.04) return JSON.stringify({ prompt: 'fuzz: answer briefly' });
  return JSON.stringify(obj);
}

describe('fuzzing the public routes', () => {
  let svc: TestService;
  let key: string;

  beforeAll(async () => {
    svc = await startTestService({ mode: 'serve' });
    key = svc.runtime.keys.create('fuzz', { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000 }).key;
  });
  afterAll(async () => svc?.close());

  it('never answers 5xx to random bodies on /invoke and /invocations', async () => {
    const seed = 20261125;
    const r = rng(seed);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const path = r() < 0.5 ? '/invoke' : '/invocations';
      const headers: Record<string, string> = { 'x-api-key': key };
      if (r() < 0.3)
        headers['content-type'] = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'garbage/;;'][
          Math.floor(r() * 4)
        ] as string;
      if (r() < 0.1)
        headers['X-Amzn-Bedrock-AgentCore-Runtime-Session-Id'] = HEADER_VALUES[Math.floor(r() * HEADER_VALUES.length)] as string;
      const payload = body(r);
      const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers, body: payload });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `seed ${seed}, request ${i}: ${path} ${payload.slice(0, 200)}`).toBeLessThan(500);
    }
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect((await fetch(`${svc.url}/health`)).status).toBe(200);
  });

  it('never answers 5xx to odd query strings and paths on the session routes', async () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) {
      const junk = RAW_QUERY[Math.floor(r() * RAW_QUERY.length)] as string;
      const path = [
        `/sessions?limit=${junk}`,
        `/sessions?cursor=${junk}`,
        `/sessions/${junk || 'x'}`,
        `/sessions/${junk}/x`,
        `/files/${junk}`,
      ][Math.floor(r() * 5)] as string;
      const res = await fetch(`${svc.url}${path}`, { headers: { 'x-api-key': key } });
      await res.arrayBuffer();
      expect(res.status, path).toBeLessThan(500);
    }
  });
});

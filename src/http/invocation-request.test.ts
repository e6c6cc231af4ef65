import { describe, expect, it } from 'vitest';
import { loadConfig, type Limits } from '../config/index.js';
import { patternProblem } from '../egress/index.js';
import { ValidationError } from '../errors/index.js';
import { DEFAULT_TOOLS } from '../runner/index.js';
import { parseInvocation } from './invocation-request.js';
import { rng } from '../../test/support/rng.js';

const limits: Limits = {
  ...loadConfig({}, {}, undefined, '/tmp').limits,
  maxPromptChars: 1000,
  defaultMaxTurns: 10,
  maxTurnsLimit: 20,
  defaultBudgetUsd: 1,
  budgetUsdLimit: 2.5,
  defaultTimeoutS: 30,
  timeoutSLimit: 120,
};

/** The ValidationError a body produces (fails the test if it is accepted or throws something else). */
function rejection(body: unknown): ValidationError {
  try {
    parseInvocation(body, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error(`expected ${JSON.stringify(body)?.slice(0, 80)} to be rejected`);
}

describe('parseInvocation', () => {
  it('applies the defaults to a flat body', () => {
    const body = { prompt: 'Create hello.py' };
    expect(parseInvocation(body, limits)).toEqual({
      prompt: 'Create hello.py',
      permissionMode: 'acceptEdits',
      tools: [...DEFAULT_TOOLS],
      mcpTools: [],
      sessionId: undefined,
      model: undefined,
      maxTurns: 10,
      maxBudgetUsd: 1,
      timeoutMs: 30_000,
      approvalTimeoutMs: 300_000,
      async: false,
      raw: body,
    });
  });

  it('takes every field, resolving tools and converting timeout_s to ms', () => {
    const parsed = parseInvocation(
      {
        prompt: 'Fix the tests',
        permission_mode: 'acceptAll',
        allowed_tools: 'Read, Replace',
        session_id: 's1',
        model: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
        max_turns: 20,
        max_budget_usd: 2.5,
        timeout_s: 1.5,
      },
      limits,
    );
    expect(parsed).toMatchObject({
      permissionMode: 'acceptAll',
      tools: ['Read', 'Edit'],
      sessionId: 's1',
      model: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
      maxTurns: 20,
      maxBudgetUsd: 2.5,
      timeoutMs: 1500,
    });
  });

  it('gives timeoutMs as whole milliseconds', () => {
    expect(parseInvocation({ prompt: 'x', timeout_s: 2.0004 }, limits).timeoutMs).toBe(2000);
  });

  it('unwraps the upstream {"input": {...}} body', () => {
    const parsed = parseInvocation({ input: { prompt: 'Wrapped', allowed_tools: ['Bash'], max_turns: 3 } }, limits);
    expect(parsed).toMatchObject({ prompt: 'Wrapped', tools: ['Bash'], maxTurns: 3 });
  });

  it('prefers a top-level prompt over an input field', () => {
    expect(parseInvocation({ prompt: 'top', input: { prompt: 'inner' } }, limits).prompt).toBe('top');
  });

  it.each([
    ['max_turns', { max_turns: 21 }, 20],
    ['max_budget_usd', { max_budget_usd: 2.51 }, 2.5],
    ['timeout_s', { timeout_s: 121 }, 120],
  ])('rejects %s over the maximum, naming the maximum', (field, extra, max) => {
    const err = rejection({ prompt: 'x', ...extra });
    expect(err.message).toContain(`${field} is`);
    expect(err.message).toContain(`at most ${max}`);
    expect(err.details).toMatchObject({ field, limit: max });
  });

  it('accepts each bound at exactly the maximum', () => {
    expect(parseInvocation({ prompt: 'x', max_turns: 20, max_budget_usd: 2.5, timeout_s: 120 }, limits)).toMatchObject({
      maxTurns: 20,
      maxBudgetUsd: 2.5,
      timeoutMs: 120_000,
    });
  });

  it.each(['', '   ', '\n\t'])('rejects the empty prompt %j', (prompt) => {
    expect(rejection({ prompt }).message).toContain('prompt must not be empty');
  });

  it('rejects a prompt over the limit, naming length and limit', () => {
    const err = rejection({ prompt: 'x'.repeat(1001) });
    expect(err.message).toContain('prompt is 1001 characters; the limit is 1000');
    expect(err.details).toMatchObject({ field: 'prompt', limit: 1000 });
    expect(parseInvocation({ prompt: 'x'.repeat(1000) }, limits).prompt).toHaveLength(1000);
  });

  it.each([
    ['missing prompt', {}, 'prompt is required'],
    ['numeric prompt', { prompt: 42 }, 'prompt is required'],
    ['unknown mode', { prompt: 'x', permission_mode: 'yolo' }, 'permission_mode must be one of: acceptEdits, acceptAll, manual'],
    ['numeric tools', { prompt: 'x', allowed_tools: 5 }, 'allowed_tools must be a comma-separated string or an array'],
    ['unknown tool', { prompt: 'x', allowed_tools: ['Teleport'] }, 'Unknown tool in allowed_tools: "Teleport"'],
    ['string max_turns', { prompt: 'x', max_turns: '5' }, 'max_turns must be a positive integer'],
    ['fractional max_turns', { prompt: 'x', max_turns: 1.5 }, 'max_turns must be a positive integer'],
    ['zero max_turns', { prompt: 'x', max_turns: 0 }, 'max_turns must be a positive integer'],
    ['zero budget', { prompt: 'x', max_budget_usd: 0 }, 'max_budget_usd must be a positive number'],
    ['negative timeout', { prompt: 'x', timeout_s: -1 }, 'timeout_s must be at least 1 second'],
    ['a timeout under a second', { prompt: 'x', timeout_s: 0.0001 }, 'timeout_s must be at least 1 second'],
    ['model with spaces', { prompt: 'x', model: 'a b' }, 'model must be a model id'],
    ['numeric session_id', { prompt: 'x', session_id: 1 }, 'session_id must be a string'],
    ['input that is not an object', { input: 'Create hello.py' }, 'prompt is required'],
  ])('rejects %s', (_name, body, message) => {
    expect(rejection(body).message).toContain(message);
  });

  it('lists each problem as an issue with its field', () => {
    const err = rejection({ prompt: 1, max_turns: 'x' });
    expect(err.details.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'prompt' }), expect.objectContaining({ field: 'max_turns' })]),
    );
  });

  it.each([
    [{ promt: 'Create hello.py' }, 'promt', 'prompt'],
    [{ prompt: 'x', permision_mode: 'manual' }, 'permision_mode', 'permission_mode'],
    [{ prompt: 'x', timeout: 60 }, 'timeout', 'timeout_s'],
    [{ prompt: 'x', allowedTools: 'Bash' }, 'allowedTools', 'allowed_tools'],
    [{ input: { prompt: 'x', max_turn: 3 } }, 'max_turn', 'max_turns'],
  ])('refuses the unknown field in %j, naming the nearest valid one', (body, field, nearest) => {
    const err = rejection(body);
    expect(err.message).toBe(`Unknown field "${field}" in the body; did you mean "${nearest}"?`);
    expect(err.details).toMatchObject({ field, suggestion: nearest });
  });

  it('lists the valid fields when no field is near, and names every unknown one', () => {
    expect(rejection({ prompt: 'x', colour: 'blue' }).message).toBe(
      'Unknown field "colour" in the body; the fields are prompt, permission_mode, allowed_tools, allowed_domains, mcp_servers, session_id, model, max_turns, max_budget_usd, timeout_s, approval_timeout_s, repository, git_token, git_username, push, pull_request, input_s3_prefix, webhook, async.',
    );
    const two = rejection({ promt: 'x', modle: 'm' });
    expect(two.details.issues).toEqual([
      { field: 'promt', message: 'Unknown field "promt" in the body; did you mean "prompt"?', suggestion: 'prompt' },
      { field: 'modle', message: 'Unknown field "modle" in the body; did you mean "model"?', suggestion: 'model' },
    ]);
  });

  it('names at most five unknown fields, however many the body has', () => {
    const body: Record<string, unknown> = { prompt: 'x' };
    for (let i = 0; i < 90_000; i++) body[`k${i}`] = 1;
    body['y'.repeat(5000)] = 1;
    const err = rejection(body);
    expect(err.details.issues).toHaveLength(5);
    expect(err.message).toMatch(/ And 89996 more unknown fields\.$/);
    expect(err.message.length).toBeLessThan(2000);
    const long = rejection({ prompt: 'x', ['z'.repeat(5000)]: 1 });
    expect(long.details.field).toBe(`${'z'.repeat(60)}...`);
  });

  it('refuses fields beside the {"input": {...}} wrapping instead of dropping them', () => {
    const err = rejection({ input: { prompt: 'hi' }, asynk: true, session_id: 's' });
    expect(err.message).toBe(
      'The request is wrapped in "input", so fields beside it are not read: move "asynk", "session_id" into "input", or send the request flat.',
    );
    expect(err.details.field).toBe('asynk');
  });

  it('still ignores `input` beside a top-level prompt, and takes every known field', () => {
    expect(parseInvocation({ prompt: 'x', input: { junk: 1 } }, limits).prompt).toBe('x');
  });

  it.each([null, undefined, 'prompt', 42, true, [], [{ prompt: 'x' }]])('rejects the non-object body %j', (body) => {
    expect(rejection(body).message).toContain('The body must be a JSON object');
  });
});

const KEYS = [
  'prompt',
  'input',
  'allowed_tools',
  'allowed_domains',
  'permission_mode',
  'max_turns',
  'max_budget_usd',
  'timeout_s',
  'model',
  'session_id',
  '__proto__',
  'constructor',
  'toString',
  'x',
];
const STRINGS = [
  '',
  ' ',
  'Bash',
  'replace, search',
  'github.com, *.pypi.org',
  'none',
  '*',
  'acceptEdits',
  'dontAsk',
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '../x',
  '\u0000',
  '😀',
];

function randomValue(rand: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const kind = Math.floor(rand() * (depth > 12 ? 5 : 8));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return pick([0, -1, 1, 1.5, 1e308, -1e308, 2 ** 53, Number.MIN_VALUE, Math.floor(rand() * 1e6), rand() * 100]);
    case 3:
      return pick(STRINGS);
    case 4:
      return rand() < 0.05 ? 'p'.repeat(Math.floor(rand() * 300_000)) : pick(STRINGS) + String(rand());
    case 5:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default:
      // fromEntries defines "__proto__" as an own key, as JSON.parse does.
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 6) }, () => [pick(KEYS), randomValue(rand, depth + 1)]));
  }
}

describe('parseInvocation fuzz', () => {
  it('answers 2,000 random JSON-ish bodies with a result or a ValidationError, nothing else', () => {
    const rand = rng(20240309);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      // Bias towards bodies that get past the first checks: objects with a prompt, sometimes wrapped.
      let body = randomValue(rand, 0);
      if (rand() < 0.5) body = { ...(typeof body === 'object' && body !== null ? body : {}), prompt: randomValue(rand, 10) };
      if (rand() < 0.5 && rand() < 0.3) body = { prompt: 'Create hello.py', allowed_tools: randomValue(rand, 10) };
      if (rand() < 0.2) body = { input: body };
      try {
        const parsed = parseInvocation(body, limits);
        accepted++;
        expect(parsed.prompt.trim()).not.toBe('');
        expect(parsed.maxTurns).toBeLessThanOrEqual(limits.maxTurnsLimit);
        expect(parsed.timeoutMs).toBeLessThanOrEqual(limits.timeoutSLimit * 1000);
        for (const domain of parsed.allowedDomains ?? []) expect(patternProblem(domain)).toBeUndefined();
      } catch (err) {
        if (!(err instanceof ValidationError)) {
          throw new Error(`iteration ${i}: ${String(err)} for ${JSON.stringify(body)?.slice(0, 300)}`);
        }
      }
    }
    // The generator must reach the accepting paths too, or the test proves little.
    expect(accepted).toBeGreaterThan(20);
  });
});

describe('parseInvocation: async and approvals', () => {
  it('takes async and approval_timeout_s, bounded by the server maximum', () => {
    expect(parseInvocation({ prompt: 'x', async: true, approval_timeout_s: 30 }, limits)).toMatchObject({
      async: true,
      approvalTimeoutMs: 30_000,
    });
    expect(() => parseInvocation({ prompt: 'x', approval_timeout_s: limits.approvalTimeoutSLimit + 1 }, limits)).toThrow(
      /approval_timeout_s.*at most/,
    );
    expect(() => parseInvocation({ prompt: 'x', async: 'yes' }, limits)).toThrow(/async must be true or false/);
  });
});

describe('parseInvocation: allowed_domains', () => {
  it('is undefined when omitted: the deployment decides', () => {
    expect(parseInvocation({ prompt: 'x' }, limits).allowedDomains).toBeUndefined();
  });

  it.each([
    ['a comma-separated string', 'GitHub.com, *.pypi.org,', ['github.com', '*.pypi.org']],
    ['an array', ['github.com', '[::1]', 'github.com.'], ['github.com', '::1']],
    ['"none"', 'none', []],
    ['["none"]', ['none'], []],
    ['[]', [], []],
  ])('takes %s', (_name, allowed_domains, expected) => {
    expect(parseInvocation({ prompt: 'x', allowed_domains }, limits).allowedDomains).toEqual(expected);
  });

  it('takes it inside the {"input": {...}} wrapping', () => {
    expect(parseInvocation({ input: { prompt: 'x', allowed_domains: ['*.npmjs.org'] } }, limits).allowedDomains).toEqual(['*.npmjs.org']);
  });

  it.each([
    ['a flat body', { prompt: 'x', allowed_domains: 'github.com, https://evil.com' }],
    ['a wrapped body', { input: { prompt: 'x', allowed_domains: ['github.com', 'https://evil.com'] } }],
  ])('rejects an invalid entry in %s, naming it and the field', (_name, body) => {
    const err = rejection(body);
    expect(err.message).toContain('allowed_domains has invalid entries: "https://evil.com"');
    expect(err.message).toContain('[] for none');
    expect(err.details).toMatchObject({ field: 'allowed_domains' });
  });

  it('rejects "*" and a list over the maximum', () => {
    expect(rejection({ prompt: 'x', allowed_domains: '*' }).message).toContain('leave the allowlist out');
    const many = Array.from({ length: 257 }, (_, i) => `h${i}.example.com`);
    const err = rejection({ prompt: 'x', allowed_domains: many });
    expect(err.message).toContain('allowed_domains has 257 entries; at most 256');
    expect(err.details).toMatchObject({ field: 'allowed_domains', limit: 256 });
  });

  it.each([
    ['a number', 5],
    ['an array with a number', ['github.com', 5]],
    ['an object', { host: 'github.com' }],
  ])('rejects %s with the forms it may take', (_name, allowed_domains) => {
    const err = rejection({ prompt: 'x', allowed_domains });
    expect(err.message).toContain('allowed_domains must be a comma-separated string or an array of host names');
    expect(err.details.issues).toEqual([expect.objectContaining({ field: expect.stringMatching(/^allowed_domains/) })]);
  });
});

describe('input_s3_prefix', () => {
  const parse = (input_s3_prefix: unknown) => parseInvocation({ prompt: 'Read the inputs', input_s3_prefix }, limits).inputPrefix;

  it('takes s3://<bucket>/<prefix> or a bare prefix, as a folder (a trailing / is added)', () => {
    expect(parse('s3://my-bucket/inputs/job-42/')).toEqual({ bucket: 'my-bucket', key: 'inputs/job-42/' });
    expect(parse('inputs/job-42')).toEqual({ bucket: undefined, key: 'inputs/job-42/' });
    expect(parseInvocation({ prompt: 'x' }, limits).inputPrefix).toBeUndefined();
    // The field is declared: it is not refused as unknown, and it stays in the recorded request.
    expect(parseInvocation({ prompt: 'x', input_s3_prefix: 'inputs/a/' }, limits).raw.input_s3_prefix).toBe('inputs/a/');
  });

  it('refuses .. segments, empty segments, no folder, other schemes, a bad bucket, over 1024 bytes, not a string: 400 naming the field and what to send', () => {
    const cases: [unknown, RegExp][] = [
      ['inputs/x/../../outputs/', /has a "\.\." segment/],
      ['s3://my-bucket/inputs/..', /has a "\.\." segment/],
      ['/inputs/x', /empty or "\." segment/],
      ['inputs//x', /empty or "\." segment/],
      ['s3://my-bucket', /names no folder/],
      ['s3://my-bucket/', /names no folder/],
      ['https://my-bucket.s3.amazonaws.com/inputs/x', /must be an s3:\/\/ URL or a key prefix/],
      ['s3://My_Bucket/inputs/x', /not a bucket name/],
      [`inputs/${'a'.repeat(1020)}`, /longer than 1024 bytes/],
      ['inputs/a\nb', /control character/],
      [42, /must be a string/],
    ];
    for (const [value, message] of cases) {
      const err = rejection({ prompt: 'x', input_s3_prefix: value });
      expect(err.message, String(value)).toMatch(message);
      if (typeof value === 'string') {
        expect(err.details.field).toBe('input_s3_prefix');
        expect(err.message).toContain('aws s3 cp --recursive');
      }
    }
  });
});

describe('parseInvocation: MCP', () => {
  it('takes mcp_servers and the mcp__ names of allowed_tools apart from the Claude Code tools', () => {
    const parsed = parseInvocation(
      { prompt: 'x', mcp_servers: ['docs', 'gateway'], allowed_tools: ['Read', 'mcp__docs__search', 'mcp__gateway'] },
      limits,
    );
    expect(parsed).toMatchObject({
      tools: ['Read'],
      mcpServers: ['docs', 'gateway'],
      mcpTools: [
        { server: 'docs', tool: 'search' },
        { server: 'gateway', tool: undefined },
      ],
    });
    // Only MCP tools named: no Claude Code tool at all, as allowed_tools always meant.
    expect(parseInvocation({ prompt: 'x', mcp_servers: ['docs'], allowed_tools: 'mcp__docs__search' }, limits).tools).toEqual([]);
    expect(parseInvocation({ prompt: 'x' }, limits).mcpServers).toBeUndefined();
  });

  it("keeps a request server's headers for the run and out of the record", () => {
    const mine = { name: 'mine', url: 'https://mcp.example.org/mcp', headers: { Authorization: 'Bearer caller-secret' } };
    const parsed = parseInvocation({ prompt: 'x', mcp_servers: [mine, 'docs'] }, limits);
    expect(parsed.mcpServers).toEqual([mine, 'docs']);
    expect(parsed.raw.mcp_servers).toEqual([{ ...mine, headers: { Authorization: '[redacted]' } }, 'docs']);
    expect(JSON.stringify(parsed.raw)).not.toContain('caller-secret');
  });

  it.each([
    [{ mcp_servers: 'docs' }, 'mcp_servers must be an array of server names'],
    [{ mcp_servers: ['a__b'] }, 'mcp_servers: "a__b" is not a server name'],
    [{ mcp_servers: ['s'.repeat(49)] }, `mcp_servers: "${'s'.repeat(49)}" is not a server name: 1-48 letters`],
    [{ mcp_servers: [{ name: 'mine', url: 'file:///etc/passwd' }] }, 'mcp_servers.mine.url must be an http(s) URL.'],
    [{ mcp_servers: [{ name: 'mine', url: 'not a url' }] }, 'mcp_servers.mine.url must be an http(s) URL such as'],
    [{ mcp_servers: [{ name: 'mine', url: 'https://u:p@x.org' }] }, 'must not carry a user or password'],
    [{ mcp_servers: [{ name: 'mine', url: 'https://x.org', headers: { 'a b': 'v' } }] }, '"a b" is not a header name'],
    [{ mcp_servers: [{ name: 'mine', url: 'https://x.org', headers: { A: 'v\r\nX: y' } }] }, 'without line breaks'],
    [
      { mcp_servers: [{ name: 'mine', url: 'https://x.org', headers: { Host: 'internal' } }] },
      'mcp_servers.mine.headers.Host is set by the service',
    ],
    [{ mcp_servers: [{ name: 'mine', url: 'https://x.org', extra: 1 }] }, 'mcp_servers: unknown field "extra"; a server of your own is'],
    [{ mcp_servers: Array.from({ length: 21 }, (_, i) => `s${i}`) }, 'mcp_servers names at most 20 servers.'],
    [{ allowed_tools: ['mcp__'] }, 'allowed_tools: "mcp__" is not an MCP tool name'],
  ])('refuses %j', (fields, message) => {
    expect(rejection({ prompt: 'x', ...fields }).message).toContain(message);
  });
});

describe('parseInvocation: webhook', () => {
  it('takes a url and event types, null for none, and leaves it undefined when omitted (the key default applies)', () => {
    expect(parseInvocation({ prompt: 'x' }, limits).webhook).toBeUndefined();
    expect(parseInvocation({ prompt: 'x', webhook: null }, limits).webhook).toBeNull();
    const given = { url: 'https://example.com/h', events: ['invocation.completed', 'permission.request'] };
    expect(parseInvocation({ prompt: 'x', webhook: given }, limits).webhook).toEqual(given);
    expect(parseInvocation({ input: { prompt: 'x', webhook: given } }, limits).raw.webhook).toEqual(given);
  });

  it.each([
    [{ url: 'https://e', secret: 'x' }, /webhook takes only "url" and "events"; remove "secret"/],
    [{ events: ['invocation.completed'] }, /webhook\.url is required/],
    [{ url: '' }, /webhook\.url must not be empty/],
    [{ url: `https://e/${'a'.repeat(2048)}` }, /at most 2048 characters/],
    [{ url: 'https://e', events: [] }, /webhook\.events must be a non-empty list of: invocation\.completed, invocation\.failed/],
    [{ url: 'https://e', events: ['invocation.done'] }, /webhook\.events must be a non-empty list/],
    [{ url: 'https://e', events: 'invocation.completed' }, /webhook\.events must be a non-empty list/],
    ['https://e', /webhook must be an object/],
  ])('refuses %j, saying what to send', (webhook, message) => {
    expect(rejection({ prompt: 'x', webhook }).message).toMatch(message);
  });
});

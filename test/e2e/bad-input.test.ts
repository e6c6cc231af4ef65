/**
 * Bad input gets a clear 4xx saying what is wrong; the service stays up and still runs tasks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

describe('bad input', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({
      env: { CCA_MAX_BODY_BYTES: '4096', CCA_MAX_PROMPT_CHARS: '1000', CCA_MAX_TURNS_LIMIT: '20' },
      responder: scenarios({
        ok: [{ content: [toolUse('Write', { file_path: 'ok.txt', content: 'ok\n' })] }, { content: [text('fine')] }],
      }),
    });
  });
  afterAll(async () => svc?.close());

  const cases: [string, unknown, number, RegExp][] = [
    ['invalid JSON', '{"prompt": "x",', 400, /not valid JSON/],
    ['an empty body', '', 400, /body is empty/],
    ['a JSON array', '[1,2]', 400, /JSON object/],
    ['a missing prompt', { permission_mode: 'acceptEdits' }, 400, /prompt is required/],
    ['an empty prompt', { prompt: '   ' }, 400, /prompt must not be empty/],
    ['a prompt of the wrong type', { prompt: 42 }, 400, /prompt/],
    ['a prompt over the limit', { prompt: 'x'.repeat(1001) }, 400, /limit is 1000/],
    [
      'an unknown permission mode',
      { prompt: 'x', permission_mode: 'yolo' },
      400,
      /permission_mode must be one of: acceptEdits, acceptAll, manual/,
    ],
    [
      'an unknown tool',
      { prompt: 'x', allowed_tools: 'Bash,Teleport' },
      400,
      /Unknown tool in allowed_tools: "Teleport".*Valid names: Bash, Read/,
    ],
    ['allowed_tools of the wrong type', { prompt: 'x', allowed_tools: 7 }, 400, /allowed_tools must be/],
    ['a bad session id', { prompt: 'x', session_id: '../../etc' }, 400, /session_id must be/],
    ['max_turns over the server maximum', { prompt: 'x', max_turns: 500 }, 400, /at most 20/],
    ['a negative timeout', { prompt: 'x', timeout_s: -1 }, 400, /timeout_s/],
    ['a misspelt field', { promt: 'Create hello.py' }, 400, /^Unknown field "promt" in the body; did you mean "prompt"\?$/],
    ['a misspelt field in the AgentCore wrapping', { input: { prompt: 'x', timeout: 9 } }, 400, /did you mean "timeout_s"\?/],
  ];

  it.each(cases)('answers %s with a clear error', async (_name, body, status, message) => {
    const res = await svc.invoke(body);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.message).toMatch(message);
  });

  it('lists the valid tool names for an unknown tool', async () => {
    const res = await svc.invoke({ prompt: 'x', allowed_tools: ['Read', 'Nope'] });
    expect(res.body.unknown).toEqual(['Nope']);
    expect(res.body.valid).toContain('Bash');
    expect(res.body.aliases).toMatchObject({ Replace: 'Edit', Search: 'Grep', List: 'Glob' });
  });

  it('answers 413 to a body over the size limit', async () => {
    const res = await svc.invoke({ prompt: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
    expect(res.body.message).toMatch(/larger than 4096 bytes/);
  });

  it('rejects a bad session id in the AgentCore header', async () => {
    const res = await svc.invoke({ prompt: 'x' }, { 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id': 'a/b' });
    expect(res.status).toBe(400);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${svc.url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/No route GET \/nope/);
  });

  it('started no run for any of that, and still runs a good task', async () => {
    expect(svc.model.requests).toHaveLength(0);
    const res = await svc.invoke({ prompt: '[[scenario:ok]] go' });
    expect(res.status).toBe(200);
    expect(res.body.output.success).toBe(true);
    expect(res.body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['ok.txt']);
  });
});

describe('no model provider configured', () => {
  it('starts, and fails an invocation at once naming what to set', async () => {
    const svc = await startTestService({ env: { ANTHROPIC_BASE_URL: '', ANTHROPIC_API_KEY: '' } });
    try {
      const started = Date.now();
      const res = await svc.invoke({ prompt: 'Create a hello world Python script' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('no_model_provider');
      expect(res.body.message).toMatch(/ANTHROPIC_API_KEY.*ANTHROPIC_BASE_URL.*CLAUDE_CODE_USE_BEDROCK=1/);
      const ping = await fetch(`${svc.url}/ping`);
      expect(ping.status).toBe(200);
    } finally {
      await svc.close();
    }
  });
});

/**
 * The AgentCore Runtime contract and the request semantics: body forms, session header, /ping,
 * one run per session, permission modes and tool lists.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSseStream } from '../support/sse.js';
import { scenarios, text, toolUse, type ModelRequest } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';

describe('runtime contract', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({
      responder: scenarios({
        write: [{ content: [toolUse('Write', { file_path: 'w.txt', content: 'w\n' })] }, { content: [text('wrote')] }],
        slow: [{ content: [text('thinking slowly')], delayMs: 2500 }],
        outside: [
          {
            content: [
              toolUse('Write', { file_path: '/tmp/cca-acceptedits-probe.txt', content: 'outside\n' }),
              toolUse('Write', { file_path: 'inside.txt', content: 'inside\n' }),
            ],
          },
          { content: [text('tried')] },
        ],
        dontask: [{ content: [toolUse('Write', { file_path: 'x.txt', content: 'x\n' })] }, { content: [text('tried')] }],
      }),
    });
  });
  afterAll(async () => svc?.close());

  it('accepts the upstream {"input": {...}} body and continues a session named by the AgentCore header', async () => {
    const sessionId = 'agentcore-session-0123456789abcdef0123456789';
    const first = await svc.invoke({ input: { prompt: '[[scenario:write]] go' } }, { [SESSION_HEADER]: sessionId });
    expect(first.status).toBe(200);
    expect(first.body.output).toMatchObject({ success: true, session_id: sessionId });
    const second = await svc.invoke({ input: { prompt: 'and again' } }, { [SESSION_HEADER]: sessionId });
    expect(second.body.output.session_id).toBe(sessionId);
    // Same conversation: the second run's first model request carries the first prompt.
    const last = svc.model.requests.filter((r) => r.kind === 'main').at(-1) as ModelRequest;
    expect(JSON.stringify(last.body.messages)).toContain('[[scenario:write]] go');
  });

  it('answers /ping Healthy when idle and HealthyBusy during a run, and refuses a second run on the same session', async () => {
    const idle = (await (await fetch(`${svc.url}/ping`)).json()) as { status: string; time_of_last_update: number };
    expect(idle.status).toBe('Healthy');
    expect(Number.isInteger(idle.time_of_last_update)).toBe(true);
    expect(Math.abs(idle.time_of_last_update - Date.now() / 1000)).toBeLessThan(600);

    const sessionId = 'busy-session';
    const run = svc.invoke({ prompt: '[[scenario:slow]] wait', session_id: sessionId });
    await waitFor(async () => ((await (await fetch(`${svc.url}/ping`)).json()) as { status: string }).status === 'HealthyBusy');
    const conflict = await svc.invoke({ prompt: 'me too', session_id: sessionId });
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toMatch(/already running/);
    expect((await run).body.output.success).toBe(true);
    const after = (await (await fetch(`${svc.url}/ping`)).json()) as { status: string };
    expect(after.status).toBe('Healthy');
  });

  it('offers the model only the allowed tools, with the original aliases mapped', async () => {
    const before = svc.model.requests.length;
    await svc.invoke({ prompt: 'list things', allowed_tools: 'Read,Replace,List' });
    const req = svc.model.requests.slice(before).find((r) => r.kind === 'main') as ModelRequest;
    const names = (req.body.tools ?? []).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['Read', 'Edit', 'Glob']));
    expect(names).not.toContain('Bash');
    expect(names).not.toContain('Write');
  });

  it('manual mode denies a tool use with a recorded reason and writes nothing', async () => {
    const { body } = await svc.invoke({ prompt: '[[scenario:write]] go', permission_mode: 'manual' });
    expect(body.output.permission_denials).toEqual([
      expect.objectContaining({ tool_name: 'Write', reason: expect.stringMatching(/manual: Write needs approval/) }),
    ]);
    expect(body.output.metadata.uploaded_files).toEqual([]);
  });

  it('acceptEdits keeps file tools inside the workspace (denied at once, with the reason); acceptAll approves, and the sandbox still keeps the host unchanged', async () => {
    const outsidePath = '/tmp/cca-acceptedits-probe.txt';
    await fs.rm(outsidePath, { force: true });
    const edits = await svc.invoke({ prompt: '[[scenario:outside]] go' });
    expect(edits.body.output.permission_denials).toEqual([
      expect.objectContaining({ tool_name: 'Write', reason: expect.stringMatching(/outside the workspace.*acceptAll/) }),
    ]);
    expect(edits.body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['inside.txt']);
    await expect(fs.access(outsidePath)).rejects.toThrow();

    const all = await svc.invoke({ prompt: '[[scenario:outside]] go', permission_mode: 'acceptAll' });
    expect(all.body.output.permission_denials).toEqual([]);
    expect(all.body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['inside.txt']);
    // Approved, but the run's /tmp is private to its sandbox: nothing reached the host.
    await expect(fs.access(outsidePath)).rejects.toThrow();
  });

  it('dontAsk runs only what allowed_tools pre-approves and records what Claude Code refused', async () => {
    const { body } = await svc.invoke({ prompt: '[[scenario:dontask]] go', permission_mode: 'dontAsk', allowed_tools: 'Read,Write' });
    expect(body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['x.txt']);
    const refused = await svc.invoke({ prompt: '[[scenario:dontask]] go', permission_mode: 'plan' });
    expect(refused.body.output.metadata.uploaded_files).toEqual([]);
    expect(refused.body.output.permission_denials.map((d: any) => d.tool_name)).toEqual(['Write']);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('runtime contract: streamed responses', () => {
  it('streams events from POST /invocations with Accept: text/event-stream, ending with the output', async () => {
    const svc = await startTestService({
      responder: scenarios({
        write: [{ content: [toolUse('Write', { file_path: 'w.txt', content: 'w\n' })] }, { content: [text('wrote')] }],
      }),
    });
    try {
      const res = await fetch(`${svc.url}/invocations`, {
        method: 'POST',
        headers: { Accept: 'text/event-stream', 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id': 'streamed-session-0123456789abcdef0123' },
        body: JSON.stringify({ input: { prompt: '[[scenario:write]] go' } }),
      });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const types: string[] = [];
      let last: any;
      for await (const message of parseSseStream(res.body!)) {
        last = JSON.parse(message.data);
        types.push(last.type);
      }
      expect(types[0]).toBe('invocation.queued');
      expect(types).toContain('file.stored');
      expect(last.type).toBe('invocation.completed');
      expect(last.data.output.output).toMatchObject({ success: true, session_id: 'streamed-session-0123456789abcdef0123' });
      // async needs the sessions API, which the bare runtime does not serve.
      const asyncRes = await svc.invoke({ prompt: 'x', async: true });
      expect(asyncRes.status).toBe(400);
    } finally {
      await svc.close();
    }
  });
});

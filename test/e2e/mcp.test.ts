/**
 * MCP servers (issue 14): a real MCP server (@modelcontextprotocol/sdk over streamable HTTP on
 * 127.0.0.1, wanting the operator's bearer token), the real Claude Code in its sandbox, the
 * scripted model calling `mcp__docs__echo`. The server sees the call with the operator's header;
 * the model gets the result; the run, which dumps every environment and command line it can read,
 * never sees the header; manual mode waits for approval; names nobody declared are a 400; a server
 * that is down does not fail a run that does not use it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startMcpServer, type TestMcpServer } from '../support/mcp-server.js';
import { lastToolResults, scenarios, text, toolUse, type ModelRequest } from '../support/model-server.js';
import { scrapeMetrics } from '../support/prometheus.js';
import { startTestService, type TestService } from '../support/service.js';
import { parseSseStream } from '../support/sse.js';

const SECRET = 'op-secret';
const METRICS_TOKEN = 'e2e-mcp-metrics-token-0123456789';

/**
 * Everything the run can read of environments and command lines, searched for the secret. The
 * pattern `op-secre[t]` matches the secret but not grep's own command line; the run's broker token
 * (`cca-run-`) is the control: it proves the environments were readable.
 */
const DUMP =
  'D="$TMPDIR/dump.txt"; { env; for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f" 2>/dev/null; echo; done; } > "$D"; ' +
  'printf "BYTES=%s LEAKS=%s TOKENS=%s\\n" "$(wc -c < "$D")" "$(grep -c "op-secre[t]" "$D")" "$(grep -c "cca-run-" "$D")"';

let svc: TestService;
let mcp: TestMcpServer;
let key: string;
const seen: { echoResult?: string; dump?: string; firstTools?: string[] } = {};

const headers = () => ({ 'x-api-key': key, 'content-type': 'application/json' });

async function post(route: string, body: unknown) {
  const res = await fetch(`${svc.url}${route}`, { method: 'POST', headers: headers(), body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

/** The session's events so far (the stream ends once the session is idle), or until `until` matches one. */
async function events(sessionId: string, until?: (e: any) => boolean): Promise<any[]> {
  const abort = new AbortController();
  const res = await fetch(`${svc.url}/sessions/${sessionId}/events`, { headers: headers(), signal: abort.signal });
  const out: any[] = [];
  for await (const m of parseSseStream(res.body!)) {
    const event = JSON.parse(m.data);
    out.push(event);
    if (until?.(event)) {
      abort.abort();
      break;
    }
  }
  return out;
}

/** Every file under `dir` that holds `needle`. */
async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await fs.readFile(file)).includes(needle)) found.push(file);
  }
  return found;
}

function resultOf(req: ModelRequest, prefix: string): string | undefined {
  for (const r of lastToolResults(req.body)) {
    const content = typeof r.content === 'string' ? r.content : JSON.stringify(r.content);
    if (content.includes(prefix)) return content;
  }
  return undefined;
}

beforeAll(async () => {
  mcp = await startMcpServer();
  const down = `http://127.0.0.1:${await closedPort()}/mcp`;
  const mcpConfig = {
    mcpServers: {
      docs: { type: 'http', url: mcp.url, headers: { Authorization: 'Bearer ${DOCS_TOKEN}' } },
      down: { type: 'http', url: down },
    },
  };
  svc = await startTestService({
    mode: 'serve',
    env: { CCA_MCP_CONFIG: JSON.stringify(mcpConfig), DOCS_TOKEN: SECRET, CCA_METRICS_TOKEN: METRICS_TOKEN },
    responder: scenarios({
      use: [
        (req) => {
          seen.firstTools = (req.body.tools ?? []).map((t) => t.name).filter((n) => n.startsWith('mcp__'));
          return { content: [toolUse('mcp__docs__echo', { text: 'hello from the model' }), toolUse('Bash', { command: DUMP })] };
        },
        (req) => {
          seen.echoResult = resultOf(req, 'echo: ');
          seen.dump = resultOf(req, 'BYTES=');
          return { content: [text('Used the docs server.')] };
        },
      ],
      ask: [{ content: [toolUse('mcp__docs__echo', { text: 'must not arrive' })] }, { content: [text('It was denied.')] }],
    }),
  });
  key = svc.runtime.keys.create('mcp', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000, maxConcurrent: 4 }).key;
});
afterAll(async () => {
  await svc?.close();
  await mcp?.close();
});

describe('MCP tools through Claude Code', () => {
  it('calls the server with the operator header, hands the result to the model, and the run never sees the header', async () => {
    const before = mcp.calls.length;
    const okCalls = async () =>
      (await scrapeMetrics(svc.url, METRICS_TOKEN)).sum('cca_mcp_tool_calls_total', { server: 'docs', outcome: 'ok' });
    const okBefore = await okCalls();
    const { status, body } = await post('/invoke', {
      prompt: '[[scenario:use]] look it up',
      mcp_servers: ['docs', 'down'],
      allowed_tools: ['Bash', 'mcp__docs__echo', 'mcp__down'],
    });
    expect(status).toBe(200);
    const { output } = body;
    expect(output.success).toBe(true);

    // (c) Nothing the run could read holds the secret: environments, command lines, its files.
    const dump = /BYTES=(\d+) LEAKS=(\d+) TOKENS=(\d+)/.exec(seen.dump ?? '');
    expect(dump, seen.dump).not.toBeNull();
    expect(Number(dump![1])).toBeGreaterThan(1000);
    expect(Number(dump![3])).toBeGreaterThan(0);
    expect(Number(dump![2])).toBe(0);
    expect(await filesHolding(path.join(svc.dataDir, 'sessions', output.session_id), SECRET)).toEqual([]);

    // (a) The server saw the call, with the operator's header and the model's arguments.
    const calls = mcp.calls.slice(before);
    expect(calls.map((c) => [c.tool, c.args])).toEqual([['echo', { text: 'hello from the model' }]]);
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    // Only the named tool was offered (not add, big, ...); the server that is down offered none.
    expect(seen.firstTools).toEqual(['mcp__docs__echo']);
    // (b) The model got the tool's result in its next request.
    expect(seen.echoResult).toContain('echo: hello from the model');
    // ...and /metrics counted it under the server's name.
    expect(await okCalls()).toBe(okBefore + 1);

    // (f) The server that is down did not fail the run; the output says what happened with each.
    expect(output.metadata.mcp).toEqual({
      servers: [
        { name: 'docs', source: 'config', status: 'connected', tools: ['mcp__docs__echo'], calls: 1, failed_calls: 0 },
        { name: 'down', source: 'config', status: 'unavailable', tools: [], calls: 0, failed_calls: 0, error: expect.any(String) },
      ],
      calls: 1,
    });

    // MCP calls are events like any tool's.
    const log = await events(output.session_id);
    const call = log.find((e) => e.type === 'tool.call' && e.data.tool === 'mcp__docs__echo');
    expect(call?.data).toMatchObject({ summary: 'hello from the model', input: '{"text":"hello from the model"}' });
    const result = log.find((e) => e.type === 'tool.result' && e.data.tool_use_id === call.data.tool_use_id);
    expect(result?.data).toMatchObject({ is_error: false, content: 'echo: hello from the model' });
  });

  it('manual mode: the call waits for approval, and a denied call never reaches the server', async () => {
    const before = mcp.calls.length;
    const accepted = await post('/invoke', {
      prompt: '[[scenario:ask]] go',
      mcp_servers: ['docs'],
      permission_mode: 'manual',
      async: true,
    });
    expect(accepted.status).toBe(202);
    const sessionId = accepted.body.session_id;
    const pending = (await events(sessionId, (e) => e.type === 'permission.request')).at(-1);
    expect(pending.data).toMatchObject({ tool: 'mcp__docs__echo', input: '{"text":"must not arrive"}' });
    // Waiting: nothing reached the server yet.
    expect(mcp.calls.length).toBe(before);
    const answer = await post(`/sessions/${sessionId}/permissions/${pending.data.request_id}`, {
      decision: 'deny',
      message: 'not this one',
    });
    expect(answer.status).toBe(200);
    const log = await events(sessionId);
    const done = log.find((e) => e.type === 'invocation.completed');
    expect(done.data.status).toBe('succeeded');
    expect(done.data.output.output.permission_denials).toEqual([expect.objectContaining({ tool_name: 'mcp__docs__echo' })]);
    expect(mcp.calls.length).toBe(before);
  });
});

describe('MCP names in requests', () => {
  it('answers 400 naming the declared servers for one nobody declared, on /invoke and /invocations alike', async () => {
    for (const route of ['/invoke', '/invocations']) {
      const { status, body } = await post(route, { prompt: 'x', mcp_servers: ['jira'] });
      expect(status).toBe(400);
      expect(body.message).toBe('Unknown MCP server "jira" in mcp_servers; this service declares: docs, down.');
    }
  });

  it("answers 400 for a tool the server does not offer, listing the ones it does, and for a request's own server", async () => {
    const tool = await post('/invoke', { prompt: 'x', mcp_servers: ['docs'], allowed_tools: ['mcp__docs__nope'] });
    expect(tool.status).toBe(400);
    expect(tool.body.message).toMatch(
      /^allowed_tools names mcp__docs__nope, which the MCP server docs does not offer; its tools: .*mcp__docs__echo/,
    );
    const own = await post('/invoke', { prompt: 'x', mcp_servers: [{ name: 'mine', url: 'https://mcp.example.org/mcp' }] });
    expect(own.status).toBe(400);
    expect(own.body.message).toMatch(/^mcp_servers: this service does not take MCP servers from requests/);
  });
});

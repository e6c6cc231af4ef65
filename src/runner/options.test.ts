import { describe, expect, it } from 'vitest';
import { buildSdkOptions, type RunContext, type RunSpec } from './options.js';
import type { PermissionDenial } from './permissions.js';

const spec: RunSpec = {
  prompt: 'Create hello.py',
  permissionMode: 'acceptEdits',
  tools: ['Read', 'Write', 'Bash'],
  maxTurns: 12,
  maxBudgetUsd: 1.5,
  timeoutMs: 60_000,
  model: undefined,
  resume: undefined,
};

function context(): RunContext {
  return {
    workspace: '/data/sessions/s1/workspace',
    env: { PATH: '/usr/bin', HOME: '/data/sessions/s1/home' },
    abortController: new AbortController(),
    claudePath: undefined,
    denials: [],
  };
}

describe('buildSdkOptions', () => {
  it('runs in the workspace with the given env, no setting sources and the claude_code preset', () => {
    const ctx = context();
    const options = buildSdkOptions(spec, ctx);
    expect(options).toMatchObject({
      cwd: ctx.workspace,
      settingSources: [],
      strictMcpConfig: true,
      systemPrompt: { type: 'preset', preset: 'claude_code' },
      tools: ['Read', 'Write', 'Bash'],
      allowedTools: [],
      permissionMode: 'acceptEdits',
      maxTurns: 12,
      maxBudgetUsd: 1.5,
    });
    expect(options.env).toBe(ctx.env);
    expect(options.abortController).toBe(ctx.abortController);
  });

  it('hands Claude Code only the in-process MCP servers it is given, and lets acceptEdits answer for their tools', async () => {
    expect(buildSdkOptions(spec, context())).not.toHaveProperty('mcpServers');
    const instance = {} as never;
    const docs = {
      type: 'http' as const,
      url: 'https://docs.example.com/mcp',
      headers: { Authorization: 'x' },
      auth: undefined,
      default: false,
    };
    const selection = { servers: [{ name: 'docs', source: 'config' as const, decl: docs, tools: undefined }] };
    const servers = { docs: { type: 'sdk' as const, name: 'docs', instance } };
    const options = buildSdkOptions(spec, { ...context(), mcp: { servers, selection } });
    expect(options.mcpServers).toBe(servers);
    expect(options.strictMcpConfig).toBe(true);
    const opts = { signal: new AbortController().signal, toolUseID: 't1', requestId: 'r1' };
    expect(await options.canUseTool!('mcp__docs__search', { q: 'x' }, opts)).toEqual({ behavior: 'allow', updatedInput: { q: 'x' } });
    expect(await options.canUseTool!('mcp__other__x', {}, opts)).toMatchObject({ behavior: 'deny' });
  });

  it('sets model, resume, executable path and stderr only when given', () => {
    const bare = buildSdkOptions(spec, context());
    for (const key of ['model', 'resume', 'pathToClaudeCodeExecutable', 'stderr']) expect(bare).not.toHaveProperty(key);

    const stderr = (_line: string) => {};
    const full = buildSdkOptions(
      { ...spec, model: 'claude-haiku-4-5', resume: 'claude-session-1' },
      { ...context(), claudePath: '/opt/claude', stderr },
    );
    expect(full).toMatchObject({ model: 'claude-haiku-4-5', resume: 'claude-session-1', pathToClaudeCodeExecutable: '/opt/claude' });
    expect(full.stderr).toBe(stderr);
  });

  it('spawns Claude Code through bubblewrap only when the run has a sandbox', () => {
    expect(buildSdkOptions(spec, context())).not.toHaveProperty('spawnClaudeCodeProcess');
    const sandbox = { bwrapPath: '/usr/bin/bwrap', home: '/data/sessions/s1/home', tmp: '/data/sessions/s1/tmp', hide: ['/data'] };
    const options = buildSdkOptions(spec, { ...context(), sandbox });
    expect(options.spawnClaudeCodeProcess).toBeTypeOf('function');
    // The SDK's own spawn and env handling stay as they are: cwd and env are still given.
    expect(options).toMatchObject({ cwd: '/data/sessions/s1/workspace', env: context().env });
  });

  it("skips WebFetch's domain preflight only behind an egress allowlist, which is the policy there", () => {
    const sandbox = { bwrapPath: '/usr/bin/bwrap', home: '/h', tmp: '/t', hide: [] };
    expect(buildSdkOptions(spec, { ...context(), sandbox }).settings).toBeUndefined();
    const egress = { socket: '/tmp/cca-egress-x/proxy.sock', forwards: [], restricted: true };
    expect(buildSdkOptions(spec, { ...context(), sandbox: { ...sandbox, egress } }).settings).toEqual({ skipWebFetchPreflight: true });
    // A run with a network of its own but no allowlist reaches the preflight's host like any other.
    const open = { ...egress, restricted: false };
    expect(buildSdkOptions(spec, { ...context(), sandbox: { ...sandbox, egress: open } }).settings).toBeUndefined();
  });

  it('wires canUseTool to the plan and records denials in the context', async () => {
    const ctx = context();
    const options = buildSdkOptions(spec, ctx);
    expect(options.canUseTool).toBeTypeOf('function');
    const answer = await options.canUseTool?.(
      'WebFetch',
      {},
      { signal: new AbortController().signal, toolUseID: 'tu_9', requestId: 'req-1' },
    );
    expect(answer).toMatchObject({ behavior: 'deny' });
    expect(ctx.denials).toEqual<PermissionDenial[]>([{ tool_name: 'WebFetch', tool_use_id: 'tu_9', reason: expect.any(String) }]);
  });

  it.each(['acceptAll', 'manual', 'default', 'plan', 'bypassPermissions'] as const)('has canUseTool in %s', (mode) => {
    expect(buildSdkOptions({ ...spec, permissionMode: mode }, context()).canUseTool).toBeTypeOf('function');
  });

  it('has no canUseTool in dontAsk and pre-approves the tools instead', () => {
    const options = buildSdkOptions({ ...spec, permissionMode: 'dontAsk' }, context());
    expect(options).not.toHaveProperty('canUseTool');
    expect(options.permissionMode).toBe('dontAsk');
    expect(options.allowedTools).toEqual(['Read', 'Write', 'Bash']);
  });
});

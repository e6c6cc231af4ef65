import type { CanUseTool } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import {
  PERMISSION_MODES,
  planPermissions,
  toCanUseTool,
  type PermissionDenial,
  type PermissionPlan,
  type Verdict,
} from './permissions.js';

const WS = '/data/sessions/s1/workspace';
const TOOLS = ['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep', 'NotebookEdit'];

/** The plan's answer as a synchronous function: every policy here answers at once (no approver). */
function decider(plan: PermissionPlan): (tool: string, input: Record<string, unknown>, blockedPath: string | undefined) => Verdict {
  const decide = plan.decide;
  if (decide === undefined) throw new Error('expected a decide function');
  return (tool, input, blockedPath) => {
    const verdict = decide(tool, input, blockedPath, new AbortController().signal);
    if (verdict instanceof Promise) throw new Error('expected an immediate answer');
    return verdict;
  };
}

describe('planPermissions', () => {
  it('covers every mode, and none runs Claude Code in bypassPermissions (refused as root)', () => {
    for (const mode of PERMISSION_MODES) {
      expect(planPermissions(mode, TOOLS, WS).sdkMode).not.toBe('bypassPermissions');
    }
  });

  describe('acceptEdits', () => {
    const plan = planPermissions('acceptEdits', TOOLS, WS);
    const decide = decider(plan);

    it('runs Claude Code in acceptEdits with nothing pre-approved', () => {
      expect(plan.sdkMode).toBe('acceptEdits');
      expect(plan.autoApproved).toEqual([]);
    });

    it.each([
      ['Write', { file_path: `${WS}/app.py` }],
      ['Write', { file_path: 'src/app.py' }],
      ['Edit', { file_path: './a/../b.txt' }],
      ['NotebookEdit', { notebook_path: 'nb.ipynb' }],
      ['Grep', { path: WS, pattern: 'x' }],
      ['Bash', { command: 'ls' }],
      ['Read', { file_path: '..hidden-but-inside' }],
    ])('allows %s with %j', (tool, input) => {
      expect(decide(tool, input, undefined)).toEqual({ allow: true });
    });

    it('denies a tool that is not in allowed_tools', () => {
      const verdict = decide('WebFetch', { url: 'https://example.com' }, undefined);
      expect(verdict).toEqual({ allow: false, reason: 'acceptEdits: WebFetch is not in allowed_tools.' });
    });

    it.each([
      ['Write', { file_path: '/etc/passwd' }, '/etc/passwd'],
      ['Write', { file_path: '../other-session/x' }, '../other-session/x'],
      ['Edit', { file_path: 'a/../../x' }, 'a/../../x'],
      ['NotebookEdit', { notebook_path: '/root/nb.ipynb' }, '/root/nb.ipynb'],
      ['Glob', { path: '..', pattern: '*' }, '..'],
      ['Grep', { path: '/data/sessions/s1/workspace-other' }, '/data/sessions/s1/workspace-other'],
    ])('denies %s with %j outside the workspace', (tool, input, outside) => {
      const verdict = decide(tool, input, undefined);
      expect(verdict.allow).toBe(false);
      if (!verdict.allow) {
        expect(verdict.reason).toContain(`reaches outside the workspace (${outside})`);
        expect(verdict.reason).toContain('acceptAll');
      }
    });

    it('denies when Claude Code reports a blocked path outside the workspace', () => {
      expect(decide('Bash', { command: 'cat /etc/shadow' }, '/etc/shadow').allow).toBe(false);
      expect(decide('Bash', { command: 'cat x' }, `${WS}/x`).allow).toBe(true);
    });

    it('ignores path fields that are not strings', () => {
      expect(decide('Write', { file_path: 42, path: null }, undefined)).toEqual({ allow: true });
    });
  });

  it.each(['acceptAll', 'bypassPermissions'] as const)('%s allows everything through the callback in acceptEdits mode', (mode) => {
    const plan = planPermissions(mode, ['Read'], WS);
    expect(plan.sdkMode).toBe('acceptEdits');
    expect(plan.autoApproved).toEqual([]);
    const decide = decider(plan);
    expect(decide('WebFetch', {}, undefined)).toEqual({ allow: true });
    expect(decide('Write', { file_path: '/etc/passwd' }, '/etc/passwd')).toEqual({ allow: true });
  });

  it('dontAsk pre-approves the tools and leaves every other decision to Claude Code', () => {
    const plan = planPermissions('dontAsk', TOOLS, WS);
    expect(plan).toEqual({ sdkMode: 'dontAsk', autoApproved: TOOLS, decide: undefined });
    expect(plan.autoApproved).not.toBe(TOOLS);
  });

  it.each([
    ['manual', 'default', 'manual: Write needs approval and this run has no approver, so it was denied.'],
    ['default', 'default', 'default: Write needs approval and this run has no approver, so it was denied.'],
    ['plan', 'plan', 'plan: Write is not run in plan mode.'],
  ] as const)('%s runs as %s and denies every question with a reason naming the mode', (mode, sdkMode, reason) => {
    const plan = planPermissions(mode, TOOLS, WS);
    expect(plan.sdkMode).toBe(sdkMode);
    expect(plan.autoApproved).toEqual([]);
    expect(decider(plan)('Write', { file_path: 'inside.txt' }, undefined)).toEqual({ allow: false, reason });
  });
});

describe('planPermissions: MCP tools', () => {
  const docs = { type: 'http' as const, url: 'https://docs.example.com/mcp', headers: {}, auth: undefined, default: false };
  const mcp = {
    servers: [
      { name: 'docs', source: 'config' as const, decl: docs, tools: new Set(['search']) },
      { name: 'gateway', source: 'config' as const, decl: docs, tools: undefined },
    ],
  };

  it('acceptEdits runs the MCP tools the run may use, whatever paths their inputs name (they are not files here)', () => {
    const decide = decider(planPermissions('acceptEdits', TOOLS, WS, undefined, mcp));
    expect(decide('mcp__docs__search', { path: '/etc/passwd' }, undefined)).toEqual({ allow: true });
    expect(decide('mcp__gateway__anything', {}, undefined)).toEqual({ allow: true });
    expect(decide('mcp__docs__delete', {}, undefined)).toEqual({
      allow: false,
      reason: 'acceptEdits: mcp__docs__delete is not an MCP tool this run may use.',
    });
    // Without servers, no MCP tool runs.
    expect(decider(planPermissions('acceptEdits', TOOLS, WS))('mcp__docs__search', {}, undefined)).toMatchObject({ allow: false });
  });

  it('dontAsk pre-approves them by rule: the named tools, or the whole server', () => {
    expect(planPermissions('dontAsk', ['Read'], WS, undefined, mcp).autoApproved).toEqual(['Read', 'mcp__docs__search', 'mcp__gateway']);
  });

  it('manual asks the approver about them like any tool; plan refuses them', async () => {
    const asked: string[] = [];
    const plan = planPermissions('manual', TOOLS, WS, async (tool) => (asked.push(tool), { allow: false, reason: 'no' }), mcp);
    expect(await plan.decide!('mcp__docs__search', {}, undefined, new AbortController().signal)).toEqual({ allow: false, reason: 'no' });
    expect(asked).toEqual(['mcp__docs__search']);
    expect(decider(planPermissions('plan', TOOLS, WS, undefined, mcp))('mcp__docs__search', {}, undefined)).toMatchObject({ allow: false });
  });
});

describe('toCanUseTool', () => {
  const options = (toolUseID: string, blockedPath?: string): Parameters<CanUseTool>[2] => ({
    signal: new AbortController().signal,
    toolUseID,
    requestId: `req-${toolUseID}`,
    ...(blockedPath !== undefined ? { blockedPath } : {}),
  });

  it('allows with the input unchanged and records nothing', async () => {
    const denials: PermissionDenial[] = [];
    const canUseTool = toCanUseTool(planPermissions('acceptEdits', TOOLS, WS).decide!, denials);
    const input = { file_path: 'a.txt', content: 'x' };
    expect(await canUseTool('Write', input, options('tu_1'))).toEqual({ behavior: 'allow', updatedInput: input });
    expect(denials).toEqual([]);
  });

  it('denies with the reason as message and records the denial with its tool_use_id', async () => {
    const denials: PermissionDenial[] = [];
    const canUseTool = toCanUseTool(planPermissions('acceptEdits', TOOLS, WS).decide!, denials);
    const first = await canUseTool('WebFetch', {}, options('tu_1'));
    const second = await canUseTool('Bash', { command: 'cat /etc/hosts' }, options('tu_2', '/etc/hosts'));
    expect(first).toEqual({ behavior: 'deny', message: 'acceptEdits: WebFetch is not in allowed_tools.' });
    expect(second).toMatchObject({ behavior: 'deny' });
    expect(denials).toEqual([
      { tool_name: 'WebFetch', tool_use_id: 'tu_1', reason: 'acceptEdits: WebFetch is not in allowed_tools.' },
      { tool_name: 'Bash', tool_use_id: 'tu_2', reason: expect.stringContaining('outside the workspace (/etc/hosts)') },
    ]);
  });
});

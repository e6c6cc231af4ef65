import { describe, expect, it } from 'vitest';
import { loadConfig, type McpConfig } from '../config/index.js';
import { toErrorResponse } from '../errors/index.js';
import { allowsTool, checkMcpRequest, selectMcpServers, toolRules, type McpServerRequest } from './selection.js';
import { parseMcpToolName, type McpToolRef } from './tool-names.js';

const config: McpConfig = loadConfig(
  {
    'mcp-config': JSON.stringify({
      mcpServers: {
        docs: { type: 'http', url: 'https://docs.example.com/mcp' },
        gateway: { type: 'http', url: 'https://gw.example.com/mcp', auth: { type: 'aws_iam' }, default: true },
      },
    }),
  },
  {},
).mcp;
const open = { ...config, allowRequestServers: true };

const refs = (...names: string[]): McpToolRef[] => names.map((n) => parseMcpToolName(n)!);
const select = (servers: McpServerRequest[] | undefined, tools: string[] = [], c: McpConfig = config) =>
  selectMcpServers({ servers, tools: refs(...tools) }, c);

function refusal(fn: () => unknown): { status: number; message: unknown } {
  try {
    fn();
  } catch (err) {
    const { status, body } = toErrorResponse(err);
    return { status, message: body.message };
  }
  throw new Error('expected a refusal');
}

describe('parseMcpToolName', () => {
  it.each([
    ['mcp__docs__search', { server: 'docs', tool: 'search' }],
    ['mcp__docs', { server: 'docs', tool: undefined }],
    ['mcp__docs__*', { server: 'docs', tool: undefined }],
    // AgentCore Gateway names tools <target>___<tool>.
    ['mcp__gateway__weather___get_forecast', { server: 'gateway', tool: 'weather___get_forecast' }],
  ])('reads %s', (name, ref) => {
    expect(parseMcpToolName(name)).toEqual(ref);
  });

  it.each(['mcp__', 'mcp____x', 'mcp__docs__', 'mcp__docs__a.b', 'mcp__do cs__x', 'Bash'])('refuses %s', (name) => {
    expect(parseMcpToolName(name)).toBeUndefined();
  });
});

describe('selectMcpServers', () => {
  it("takes the operator's default servers when the request names none, and none for []", () => {
    expect(select(undefined).servers.map((s) => s.name)).toEqual(['gateway']);
    expect(select([]).servers).toEqual([]);
    expect(select(['docs']).servers.map((s) => [s.name, s.source, s.tools])).toEqual([['docs', 'config', undefined]]);
  });

  it('narrows a server to the tools the request names; mcp__<server> keeps them all', () => {
    const chosen = select(['docs', 'gateway'], ['mcp__docs__search', 'mcp__docs__fetch', 'mcp__gateway']).servers;
    expect(chosen.map((s) => [s.name, s.tools && [...s.tools]])).toEqual([
      ['docs', ['search', 'fetch']],
      ['gateway', undefined],
    ]);
    const selection = { servers: chosen };
    expect(allowsTool(selection, 'mcp__docs__search')).toBe(true);
    expect(allowsTool(selection, 'mcp__docs__delete')).toBe(false);
    expect(allowsTool(selection, 'mcp__gateway__anything')).toBe(true);
    expect(allowsTool(selection, 'mcp__other__x')).toBe(false);
    expect(allowsTool(selection, 'Bash')).toBe(false);
    expect(toolRules(selection)).toEqual(['mcp__docs__search', 'mcp__docs__fetch', 'mcp__gateway']);
  });

  it('answers 400 naming the declared servers for an unknown one', () => {
    expect(refusal(() => select(['jira']))).toEqual({
      status: 400,
      message: 'Unknown MCP server "jira" in mcp_servers; this service declares: docs, gateway.',
    });
    expect(refusal(() => selectMcpServers({ servers: ['x'], tools: [] }, loadConfig({}, {}).mcp)).message).toBe(
      'Unknown MCP server "x" in mcp_servers; this service declares no MCP servers.',
    );
  });

  it('answers 400 for a tool of a server that is not enabled, saying how to enable it', () => {
    expect(refusal(() => select([], ['mcp__docs__search'])).message).toBe(
      'allowed_tools names mcp__docs__search, but add "docs" to mcp_servers to enable it.',
    );
    expect(refusal(() => select(undefined, ['mcp__jira__x'])).message).toBe(
      'allowed_tools names mcp__jira__x, but no MCP server "jira" is enabled (this service declares: docs, gateway).',
    );
  });

  it('answers 400 for a tool whose full name is past the 64 characters the model API takes', () => {
    const long = `mcp__gateway__orders___${'a'.repeat(42)}`; // 65 characters
    const { status, message } = refusal(() => select(['gateway'], [long]));
    expect(status).toBe(400);
    expect(message).toBe(
      `allowed_tools names ${long}, which is 65 characters: the model API takes tool names of at most 64, so the service never offers this tool ` +
        "(it would fail every model call). Name a tool whose full name fits, or ask the server's operator for shorter names.",
    );
    expect(select(['gateway'], [long.slice(0, 64)]).servers[0]!.tools).toEqual(new Set([long.slice(14, 64)]));
  });

  it('refuses a server named twice', () => {
    expect(refusal(() => select(['docs', 'docs'])).message).toBe('mcp_servers names "docs" twice; name each server once.');
  });

  it("refuses a request's own server unless the operator allows them, and one that takes a declared name", () => {
    const mine = { name: 'mine', url: 'https://mcp.example.org/mcp', headers: { Authorization: 'Bearer x' } };
    expect(refusal(() => select([mine])).message).toBe(
      'mcp_servers: this service does not take MCP servers from requests (the operator allows it with --mcp-allow-request-servers); name a declared server instead (this service declares: docs, gateway).',
    );
    expect(select([mine, 'docs'], ['mcp__mine__x'], open).servers.map((s) => [s.name, s.source, s.decl])).toEqual([
      ['mine', 'request', { type: 'http', url: mine.url, headers: mine.headers, auth: undefined, default: false }],
      ['docs', 'config', config.servers.docs],
    ]);
    expect(refusal(() => select([{ ...mine, name: 'docs' }], [], open)).message).toBe(
      'mcp_servers: "docs" is the name of a server this service declares; give your server another name.',
    );
  });

  it('checks names against an outline of the configuration alone (the API Lambda)', () => {
    const outline = { servers: { gateway: { default: true } }, allowRequestServers: false };
    expect(checkMcpRequest({ servers: undefined, tools: refs('mcp__gateway__a') }, outline)).toEqual([
      { entry: 'gateway', tools: new Set(['a']) },
    ]);
    expect(refusal(() => checkMcpRequest({ servers: ['docs'], tools: [] }, outline)).message).toBe(
      'Unknown MCP server "docs" in mcp_servers; this service declares: gateway.',
    );
  });
});

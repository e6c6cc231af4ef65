import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configError } from '../../test/support/config-error.js';
import { declaredMcpServers, loadConfig } from './index.js';

const load = (servers: unknown, env: Record<string, string> = {}, flags: Record<string, unknown> = {}) =>
  loadConfig({ 'mcp-config': JSON.stringify({ mcpServers: servers }), ...flags }, env).mcp;

const INLINE = 'MCP config (inline JSON)';

describe('MCP configuration', () => {
  it('is off by default', () => {
    expect(loadConfig({}, {}).mcp).toEqual({
      servers: {},
      source: undefined,
      allowStdio: false,
      allowRequestServers: false,
      toolTimeoutMs: 300_000,
    });
  });

  it('reads the .mcp.json shape from a file, relative to the working directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-mcp-'));
    fs.writeFileSync(
      path.join(dir, 'mcp.json'),
      JSON.stringify({ mcpServers: { docs: { type: 'http', url: 'https://docs.example.com/mcp' } } }),
    );
    const config = loadConfig({}, { CCA_MCP_CONFIG: 'mcp.json' }, undefined, dir).mcp;
    expect(config.source).toBe(path.join(dir, 'mcp.json'));
    expect(config.servers).toEqual({
      docs: { type: 'http', url: 'https://docs.example.com/mcp', headers: {}, auth: undefined, default: false },
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('takes inline JSON, and replaces ${VAR} and ${VAR:-default} from the environment', () => {
    const config = load(
      {
        docs: {
          type: 'sse',
          url: 'https://${DOCS_HOST}/sse',
          headers: { Authorization: 'Bearer ${DOCS_TOKEN}', 'X-Team': '${TEAM:-platform}' },
          default: true,
        },
      },
      { DOCS_HOST: 'docs.internal', DOCS_TOKEN: 'op-secret' },
    );
    expect(config.source).toBe(INLINE);
    expect(config.servers.docs).toEqual({
      type: 'sse',
      url: 'https://docs.internal/sse',
      headers: { Authorization: 'Bearer op-secret', 'X-Team': 'platform' },
      auth: undefined,
      default: true,
    });
  });

  it('names the server and field of an unset variable', () => {
    expect(configError(() => load({ docs: { type: 'http', url: 'https://x', headers: { Authorization: 'Bearer ${DOCS_TOKEN}' } } }))).toBe(
      `${INLINE}: mcpServers.docs.headers.Authorization uses \${DOCS_TOKEN}, which is not set in the service's environment (or write \${DOCS_TOKEN:-default}).`,
    );
  });

  it.each([
    [{ docs: { type: 'http' } }, `${INLINE}: mcpServers.docs.url is required: the server URL.`],
    [{ docs: { type: 'ws', url: 'wss://x' } }, `${INLINE}: mcpServers.docs.type must be "http", "sse" or "stdio"; got "ws".`],
    [
      { docs: { url: 'https://x' } },
      `${INLINE}: mcpServers.docs: "type" is required: "http" (streamable HTTP), "sse", or "stdio" with a "command".`,
    ],
    [{ docs: { type: 'http', url: 'ftp://x' } }, `${INLINE}: mcpServers.docs.url must be an http(s) URL; got "ftp://x".`],
    [
      { docs: { type: 'http', url: 'https://u:p@x' } },
      `${INLINE}: mcpServers.docs.url must not carry a user or password; put credentials in headers or auth.`,
    ],
    [{ docs: { type: 'http', url: 'https://x', oauth: {} } }, `${INLINE}: mcpServers.docs: unknown field "oauth"; remove it.`],
    [
      { docs: { type: 'http', url: 'https://x', headers: { 'Bad Name': 'v' } } },
      `${INLINE}: mcpServers.docs.headers: "Bad Name" is not a valid header name.`,
    ],
    [{ docs: { type: 'http', url: 'https://x', headers: { A: 1 } } }, `${INLINE}: mcpServers.docs.headers.A must be a string.`],
    [{ docs: { type: 'http', url: 'https://x', auth: { type: 'basic' } } }, expect.stringContaining(`${INLINE}: mcpServers.docs.auth`)],
    [{ my__docs: { type: 'http', url: 'https://x' } }, expect.stringContaining('without "__"')],
    [{ docs_: { type: 'http', url: 'https://x' } }, expect.stringContaining('a server name must be')],
    // 49 characters would leave its tools 8 of the 64 a tool name may have: too few to be of use.
    [
      { ['d'.repeat(49)]: { type: 'http', url: 'https://x' } },
      `${INLINE}: mcpServers.${'d'.repeat(49)}: a server name must be 1-48 letters, digits, "_" or "-", without "__" or a "_" at the end (tools are named mcp__<server>__<tool>, at most 64 characters in all).`,
    ],
  ])('refuses %j', (servers, message) => {
    expect(configError(() => load(servers))).toEqual(message);
  });

  it('refuses a file that is not there or not JSON, saying which', () => {
    expect(configError(() => loadConfig({ 'mcp-config': '/nonexistent/mcp.json' }, {}))).toMatch(
      /^--mcp-config \/ CCA_MCP_CONFIG: cannot read \/nonexistent\/mcp\.json \(ENOENT\); give a file path, or inline JSON starting with "\{"\.$/,
    );
    expect(configError(() => loadConfig({ 'mcp-config': '{"mcpServers": ' }, {}))).toMatch(
      /^MCP config \(inline JSON\) is not valid JSON: /,
    );
    expect(configError(() => loadConfig({ 'mcp-config': '{"servers": {}}' }, {}))).toBe(
      `${INLINE}: mcpServers is required: {"mcpServers": {"<name>": {...}}}.`,
    );
    expect(configError(() => loadConfig({ 'mcp-config': '{"mcpServers": {}, "x": 1}' }, {}))).toBe(
      `${INLINE}: unknown field "x"; remove it.`,
    );
  });

  it('refuses stdio servers unless the operator allows them, and says how', () => {
    const stdio = { local: { command: 'node', args: ['server.js', '--token=${TOKEN}'], env: { TOKEN: '${TOKEN}' } } };
    expect(configError(() => load(stdio, { TOKEN: 't' }))).toBe(
      `${INLINE}: mcpServers.local is a stdio server: its command would run on this machine as the service's user, outside the run sandbox. ` +
        'Allow stdio servers with --mcp-allow-stdio (CCA_MCP_ALLOW_STDIO=1), or use an http server.',
    );
    const allowed = load(stdio, { TOKEN: 't', CCA_MCP_ALLOW_STDIO: '1' });
    expect(allowed.servers.local).toEqual({
      type: 'stdio',
      command: 'node',
      args: ['server.js', '--token=t'],
      env: { TOKEN: 't' },
      default: false,
    });
    expect(load(stdio, { TOKEN: 't' }, { 'mcp-allow-stdio': true }).allowStdio).toBe(true);
  });

  it('reads aws_iam with the region of the service and the AgentCore service by default', () => {
    const gw = {
      gateway: { type: 'http', url: 'https://gw.gateway.bedrock-agentcore.us-west-2.amazonaws.com/mcp', auth: { type: 'aws_iam' } },
    };
    expect(load(gw, { AWS_REGION: 'us-west-2' }).servers.gateway).toMatchObject({
      auth: { type: 'aws_iam', region: 'us-west-2', service: 'bedrock-agentcore' },
    });
    const custom = { gateway: { ...gw.gateway, auth: { type: 'aws_iam', region: 'eu-central-1', service: 'execute-api' } } };
    expect(load(custom).servers.gateway).toMatchObject({ auth: { type: 'aws_iam', region: 'eu-central-1', service: 'execute-api' } });
  });

  it('reads oauth_client_credentials with the secret from the variable it names, which must be set', () => {
    const auth = {
      type: 'oauth_client_credentials',
      token_url: 'https://auth.example.com/oauth2/token',
      client_id: 'cca',
      client_secret_env: 'GW_SECRET',
    };
    const servers = { gateway: { type: 'http', url: 'https://gw.example.com/mcp', auth } };
    expect(load(servers, { GW_SECRET: 's3cret' }).servers.gateway).toMatchObject({
      auth: {
        type: 'oauth_client_credentials',
        tokenUrl: 'https://auth.example.com/oauth2/token',
        clientId: 'cca',
        clientSecret: 's3cret',
        scope: undefined,
      },
    });
    expect(configError(() => load(servers))).toBe(
      `${INLINE}: mcpServers.gateway.auth.client_secret_env names GW_SECRET, which is not set in the service's environment.`,
    );
  });

  it('takes the switches and the tool timeout from flags and variables', () => {
    const config = loadConfig({ 'mcp-allow-request-servers': true }, { CCA_MCP_TIMEOUT_S: '30' }).mcp;
    expect(config).toMatchObject({ allowRequestServers: true, allowStdio: false, toolTimeoutMs: 30_000 });
    expect(loadConfig({}, { CCA_MCP_ALLOW_REQUEST_SERVERS: '1' }).mcp.allowRequestServers).toBe(true);
    expect(configError(() => loadConfig({}, { CCA_MCP_ALLOW_STDIO: 'yes' }))).toBe('CCA_MCP_ALLOW_STDIO must be 1 or 0; got "yes".');
  });
});

describe('declaredMcpServers (the API Lambda reads names only)', () => {
  it('reads names and defaults without expanding anything', () => {
    const json = JSON.stringify({
      mcpServers: { gateway: { type: 'http', url: '${GW_URL}', default: true }, docs: { type: 'http', url: 'x' } },
    });
    expect(declaredMcpServers(json)).toEqual({ gateway: { default: true }, docs: { default: false } });
  });

  it('is undefined for a file path, nothing, or another shape', () => {
    expect(declaredMcpServers('/etc/cca/mcp.json')).toBeUndefined();
    expect(declaredMcpServers(undefined)).toBeUndefined();
    expect(declaredMcpServers('{"x": 1}')).toBeUndefined();
  });
});

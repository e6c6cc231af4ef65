import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { mcpLines } from './serve.js';

describe('mcpLines (start-up)', () => {
  it('says nothing when MCP is off', () => {
    expect(mcpLines(loadConfig({}, {}).mcp)).toBe('');
  });

  it('names each server, where it is and how the service authenticates, never a header value or a query', () => {
    const config = loadConfig(
      {
        'mcp-config': JSON.stringify({
          mcpServers: {
            docs: {
              type: 'http',
              url: 'https://docs.example.com/mcp?key=${DOCS_KEY}',
              headers: { Authorization: 'Bearer ${DOCS_TOKEN}' },
              default: true,
            },
            gateway: { type: 'http', url: 'https://gw.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp', auth: { type: 'aws_iam' } },
          },
        }),
        'mcp-allow-request-servers': true,
      },
      { DOCS_TOKEN: 'op-secret', DOCS_KEY: 'query-secret', AWS_REGION: 'us-east-1' },
    ).mcp;
    const text = mcpLines(config);
    expect(text).toBe(
      '  mcp:      2 servers from MCP config (inline JSON); the service holds their credentials, runs see only the tools (request: mcp_servers)\n' +
        '    docs: http, https://docs.example.com/mcp (headers Authorization) [default]\n' +
        '    gateway: http, https://gw.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp (SigV4 for bedrock-agentcore in us-east-1)\n' +
        '    requests may bring their own http servers (--mcp-allow-request-servers), reached under the egress rules\n',
    );
    expect(text).not.toContain('op-secret');
    expect(text).not.toContain('query-secret');
  });
});

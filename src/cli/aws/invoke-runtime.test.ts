/**
 * `cca invoke --runtime-arn` end to end: the real AgentCore client (SigV4, restJson1) against the
 * local AgentCore data-plane peer (test/support/agentcore-server.ts), which forwards to a real
 * `cca runtime` running the real Claude Code binary against the scripted model. Nothing is mocked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentCorePeer, type AgentCorePeer } from '../../../test/support/agentcore-server.js';
import { recordingIo } from '../../../test/support/aws-fakes.js';
import { scenarios, text, toolUse, userTexts, type ModelRequest } from '../../../test/support/model-server.js';
import { startTestService, type TestService } from '../../../test/support/service.js';
import { invokeCommand } from '../entries.js';
import { writeDeployment } from './deployment.js';

const ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claude_code_agent_stack-AbCdEf1234';

describe('cca invoke --runtime-arn (AgentCore InvokeAgentRuntime, end to end)', () => {
  let svc: TestService;
  let peer: AgentCorePeer;
  let env: NodeJS.ProcessEnv;
  let cwd: string;

  beforeAll(async () => {
    svc = await startTestService({
      mode: 'runtime',
      responder: scenarios({
        hello: [
          { content: [text('Writing it.'), toolUse('Write', { file_path: 'hello.py', content: 'print("hi")\n' })] },
          { content: [text('Created hello.py.')] },
        ],
        broken: () => ({ error: { status: 400, type: 'invalid_request_error', message: 'scripted failure' } }),
      }),
    });
    peer = await startAgentCorePeer({ runtimeArn: ARN, runtimeUrl: svc.url });
    // Only what the command is given: the peer's endpoint and some keys to sign with.
    env = { AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: peer.url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' };
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-invoke-rt-'));
  });
  afterAll(async () => {
    await peer?.close();
    await svc?.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('sends the task as JSON (quotes, $(...), newlines arrive as typed), qualifier DEFAULT, a new UUID session, and prints the result', async () => {
    const prompt = '[[scenario:hello]] Create hello.py that prints "hi" — not $(rm -rf ~) or `id`;\n\'; echo injected';
    const io = recordingIo();
    const code = await invokeCommand([prompt, '--runtime-arn', ARN], env, io);
    expect(io.err).toContain(`Invoking ${ARN}`);
    expect(code).toBe(0);
    const sent = peer.requests.at(-1);
    expect(sent).toMatchObject({ agentRuntimeArn: ARN, qualifier: 'DEFAULT', contentType: 'application/json', status: 200 });
    expect(sent?.runtimeSessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(JSON.parse(sent?.payload ?? '')).toEqual({ prompt });
    // The model saw exactly what was typed.
    const first = svc.model.requests.find(
      (r: ModelRequest) => r.kind === 'main' && userTexts(r.body).some((t) => t.includes('[[scenario:hello]]')),
    );
    expect(userTexts(first!.body).join('\n')).toContain(prompt);
    expect(io.out).toContain('Created hello.py.');
    expect(io.out).toContain('Success.');
    expect(io.out).toMatch(/hello\.py\s+12 B/);
    expect(io.out).toContain(`session:  ${sent?.runtimeSessionId}`);
    expect(io.out).toContain(`cca invoke --runtime-arn ${ARN} "..." --session ${sent?.runtimeSessionId}`);
  });

  it('continues a session given with --session, and refuses one shorter than 33 characters before calling', async () => {
    const session = 'cca-test-session-0123456789abcdef0123';
    const first = recordingIo();
    expect(await invokeCommand(['[[scenario:hello]] remember me', '--runtime-arn', ARN, '--session', session], env, first)).toBe(0);
    const second = recordingIo();
    expect(await invokeCommand(['and again', '--runtime-arn', ARN, '--session', session, '--json'], env, second)).toBe(0);
    expect(JSON.parse(second.out).output.session_id).toBe(session);
    const last = svc.model.requests.filter((r) => r.kind === 'main').at(-1) as ModelRequest;
    expect(JSON.stringify(last.body.messages)).toContain('remember me');
    expect(second.err).toBe('');

    const before = peer.requests.length;
    const short = recordingIo();
    expect(await invokeCommand(['x', '--runtime-arn', ARN, '--session', 'too-short'], env, short)).toBe(2);
    expect(short.err).toContain('--session must be at least 33 characters');
    expect(peer.requests.length).toBe(before);
  });

  it('takes the runtime ARN from deployment.json with --runtime', async () => {
    writeDeployment(cwd, {
      region: 'us-east-1',
      stack: 'claude-code-agent-stack',
      bucket: 'b',
      repository_uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/r',
      runtime_arn: ARN,
      runtime_id: 'claude_code_agent_stack-AbCdEf1234',
      model_id: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
      image_tag: 't',
      deployed_at: '2025-06-01T00:00:00.000Z',
    });
    const io = recordingIo();
    expect(await invokeCommand(['[[scenario:hello]] from the file', '--runtime'], env, io, { cwd })).toBe(0);
    expect(peer.requests.at(-1)?.agentRuntimeArn).toBe(ARN);
    expect(io.out).toContain('cca invoke --runtime "..." --session');
  });

  it('exits 3 with the run errors when the agent fails, and 1 with a hint when AgentCore refuses', async () => {
    const failed = recordingIo();
    expect(await invokeCommand(['[[scenario:broken]] fail', '--runtime-arn', ARN], env, failed)).toBe(3);
    expect(failed.out).toContain('Failed');
    expect(failed.err).toMatch(/cca: run error: .*scripted failure/);

    const unknown = recordingIo();
    const other = ARN.replace('AbCdEf1234', 'Nope000000');
    expect(await invokeCommand(['x', '--runtime-arn', other], env, unknown)).toBe(1);
    expect(unknown.err).toContain(`No runtime ${other}`);
    expect(unknown.err).toContain('check the ARN and the region');

    // The runtime answers 400 (max_turns over its limit); AgentCore turns that into RuntimeClientError.
    const refused = recordingIo();
    expect(await invokeCommand(['x', '--runtime-arn', ARN, '--max-turns', '100000'], env, refused)).toBe(1);
    expect(peer.requests.at(-1)?.status).toBe(424);
    expect(refused.err).toMatch(/The runtime failed \(Received error \(400\) from runtime.*\): see "cca logs"/);
  });

  it('refuses a malformed ARN and --async without calling', async () => {
    const before = peer.requests.length;
    const bad = recordingIo();
    expect(await invokeCommand(['x', '--runtime-arn', 'arn:aws:lambda:us-east-1:1:function:f'], env, bad)).toBe(2);
    expect(bad.err).toContain('must be an AgentCore runtime ARN');
    const async = recordingIo();
    expect(await invokeCommand(['x', '--runtime-arn', ARN, '--async'], env, async)).toBe(2);
    expect(peer.requests.length).toBe(before);
  });
});

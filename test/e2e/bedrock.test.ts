/**
 * End to end on the Amazon Bedrock path: HTTP request → service → the real Claude Code binary →
 * a local endpoint speaking Bedrock's wire format (SigV4-signed requests, AWS event-stream replies).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startBedrockServer, type BedrockRequest, type BedrockResponder, type BedrockServer } from '../support/bedrock-server.js';
import { lastToolResults, scenarios, text, toolUse, type MessagesBody } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const PY = 'print("Hello, World!")\n';
const API_KEY = 'sk-ant-must-not-reach-the-agent';

const script = scenarios({
  hello: [
    { content: [text('Creating the script.'), toolUse('Write', { file_path: 'hello.py', content: PY })] },
    { content: [text('Created hello.py.')] },
  ],
  // Turn 2 repeats what `env` printed, so the final result shows the child's environment.
  env: [
    { content: [toolUse('Bash', { command: 'env', description: 'print the environment' })] },
    (req) => ({ content: [text(JSON.stringify(lastToolResults(req.body)[0]?.content ?? null))] }),
  ],
});

let bedrock: BedrockServer | undefined;
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  await bedrock?.close();
  svc = bedrock = undefined;
});

/** Starts a Bedrock endpoint and the service pointed at it; `env` adds to or overrides the Bedrock variables. */
async function start(region: string, responder: BedrockResponder, env: Record<string, string | undefined> = {}) {
  bedrock = await startBedrockServer(responder);
  const merged: Record<string, string | undefined> = {
    CLAUDE_CODE_USE_BEDROCK: '1',
    AWS_REGION: region,
    ANTHROPIC_BEDROCK_BASE_URL: bedrock.url,
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    // The test service points these at its Anthropic model server by default (undefined keeps that).
    ANTHROPIC_API_KEY: '',
    ANTHROPIC_BASE_URL: '',
    ...env,
  };
  svc = await startTestService({
    env: Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  return { bedrock, svc };
}

/** The agent loop's calls (Claude Code also sends start-up checks through InvokeModel). */
const agentTurns = (requests: BedrockRequest[]) => requests.filter((r) => r.operation === 'invoke-with-response-stream');
const messagesOf = (req: BedrockRequest | undefined): MessagesBody => ({ ...(req?.body ?? { messages: [] }), model: req?.modelId ?? '' });
const sigV4 = (region: string) =>
  new RegExp(
    `^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/\\d{8}/${region}/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`,
  );

describe('the Amazon Bedrock model path with the real Claude Code binary', () => {
  it('runs the seed task on Haiku 4.5 through the Japan inference profile, SigV4-signed, with event-stream replies', async () => {
    const { bedrock, svc } = await start('ap-northeast-1', script);
    const { status, body } = await svc.invoke({ prompt: '[[scenario:hello]] Create a hello world Python script' });
    expect(status).toBe(200);
    const out = body.output;
    expect(out).toMatchObject({ success: true, result: 'Created hello.py.', model: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0' });
    expect(out.metadata.uploaded_files).toHaveLength(1);
    const file = out.metadata.uploaded_files[0];
    expect(file).toMatchObject({
      file_name: 'hello.py',
      size: Buffer.byteLength(PY),
      sha256: createHash('sha256').update(PY).digest('hex'),
    });
    const download = await fetch(file.download_url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(PY);

    const turns = agentTurns(bedrock.requests);
    expect(turns).toHaveLength(2);
    for (const req of turns) {
      expect(req.method).toBe('POST');
      expect(req.modelId).toBe('jp.anthropic.claude-haiku-4-5-20251001-v1:0');
      expect(decodeURIComponent(req.path)).toBe('/model/jp.anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream');
      expect(req.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(req.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(req.raw).digest('hex'));
      // Bedrock's Messages body: version and betas inside, the model in the path, streaming in the operation.
      expect(req.body).toMatchObject({
        anthropic_version: 'bedrock-2023-05-31',
        anthropic_beta: expect.arrayContaining(['claude-code-20250219']),
      });
      expect(req.body).not.toHaveProperty('model');
      expect(req.body).not.toHaveProperty('stream');
      expect(req.body?.tools?.map((t) => t.name)).toContain('Write');
    }
    // Turn 2 carries turn 1's Write call, decoded from the event-stream frames, and its successful result.
    const second = messagesOf(turns[1]);
    const call = second.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content)).find((b) => b.type === 'tool_use');
    expect(call).toMatchObject({ name: 'Write', input: { file_path: 'hello.py', content: PY } });
    expect(lastToolResults(second)).toEqual([expect.objectContaining({ tool_use_id: call?.id })]);
    expect(lastToolResults(second)[0]?.is_error ?? false).toBe(false);
    // Every call, start-up checks included, is signed for the region with the configured key.
    expect(bedrock.requests.length).toBeGreaterThan(2);
    for (const req of bedrock.requests) expect(req.headers.authorization).toMatch(sigV4('ap-northeast-1'));
  });

  it('uses the EU inference profile and signs for eu-west-1 in that region', async () => {
    const { bedrock, svc } = await start('eu-west-1', script);
    const { body } = await svc.invoke({ prompt: '[[scenario:hello]] Create a hello world Python script' });
    expect(body.output).toMatchObject({ success: true, result: 'Created hello.py.', model: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0' });
    const turns = agentTurns(bedrock.requests);
    expect(turns.map((r) => r.modelId)).toEqual([
      'eu.anthropic.claude-haiku-4-5-20251001-v1:0',
      'eu.anthropic.claude-haiku-4-5-20251001-v1:0',
    ]);
    for (const req of bedrock.requests) expect(req.headers.authorization).toMatch(sigV4('eu-west-1'));
  });

  it('reports a Bedrock ThrottlingException on every call as a failure with its message, without retrying for long', async () => {
    const throttled = 'Too many requests, please wait before trying again.';
    const { bedrock, svc } = await start('ap-northeast-1', () => ({
      error: { status: 429, type: 'ThrottlingException', message: throttled },
    }));
    const started = Date.now();
    const { status, body } = await svc.invoke({ prompt: 'Create a hello world Python script' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(status).toBe(200);
    expect(body.output.success).toBe(false);
    expect(body.output.result).toContain(throttled);
    expect(body.output.metadata.uploaded_files).toEqual([]);
    // One attempt of the agent loop's call: CCA_MODEL_MAX_RETRIES=0 reached Claude Code.
    expect(agentTurns(bedrock.requests)).toHaveLength(1);
  });

  it('reports an exception frame inside an open Bedrock stream as a failure with its message', async () => {
    const { svc } = await start('ap-northeast-1', (req) =>
      req.kind === 'main'
        ? { content: [text('Starting')], streamException: { type: 'ModelStreamErrorException', message: 'scripted failure mid-stream' } }
        : { content: [text('ok')] },
    );
    const started = Date.now();
    const { body } = await svc.invoke({ prompt: 'Create a hello world Python script' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(body.output.success).toBe(false);
    expect(body.output.result).toContain('scripted failure mid-stream');
  });

  it('never hands the service’s ANTHROPIC_API_KEY to a Claude Code child that runs on Bedrock', async () => {
    // The service also has an Anthropic key, and a base URL at the test's Anthropic model server:
    // Bedrock wins, the key stays with the service and nothing reaches the Anthropic endpoint.
    const { bedrock, svc } = await start('ap-northeast-1', script, { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: undefined });
    expect(svc.config.provider.kind).toBe('bedrock');
    const { body } = await svc.invoke({ prompt: '[[scenario:env]] Show the environment' });
    expect(body.output.success).toBe(true);
    const printed = JSON.parse(body.output.result) as unknown;
    expect(JSON.stringify(printed)).toContain('CLAUDE_CODE_USE_BEDROCK=1');
    expect(JSON.stringify(printed)).not.toContain('ANTHROPIC_API_KEY');
    expect(JSON.stringify(printed)).not.toContain(API_KEY);
    expect(agentTurns(bedrock.requests)).toHaveLength(2);
    for (const req of bedrock.requests) {
      expect(req.headers['x-api-key']).toBeUndefined();
      expect(JSON.stringify(req.headers)).not.toContain(API_KEY);
    }
    expect(svc.model.requests).toEqual([]);
  });

  it("meters Bedrock's event-stream answers at the broker: a run that times out without Claude Code's figure is charged what it streamed", async () => {
    const big = { input_tokens: 100_000, output_tokens: 1_000 };
    const { svc } = await start(
      'us-east-1',
      scenarios({
        slow: (_req, turn) =>
          turn === 0 ? { content: [toolUse('Bash', { command: 'echo one', description: 'a step' })], usage: big } : { hang: true },
      }),
    );
    const { body } = await svc.invoke({ prompt: '[[scenario:slow]] go', timeout_s: 4 });
    // One agent call at Haiku 4.5's price ($0.105), plus Claude Code's small start-up calls.
    expect(body.output).toMatchObject({ stop_reason: 'timeout', cost_source: 'service_meter' });
    // ...and the call the run gave up on before its answer began: its prompt's input, estimated at 3 bytes a token.
    const hung = agentTurns(bedrock!.requests).at(-1)!;
    const hungUsd = Math.ceil(Buffer.byteLength(hung.raw) / 3) / 1e6;
    expect(body.output.cost_usd).toBeGreaterThanOrEqual(0.105 + hungUsd - 1e-6);
    expect(body.output.cost_usd).toBeLessThan(0.106 + hungUsd);
    expect(body.output.usage.input_tokens).toBeGreaterThanOrEqual(100_000);
  });
});

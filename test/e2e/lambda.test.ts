/**
 * The API Lambda end to end: API Gateway-shaped events into the real handler, the real
 * BedrockAgentCoreClient to a local AgentCore data plane that forwards to the real runtime
 * (`cca runtime`, the real Claude Code binary, a scripted model), and the real S3Client against an
 * S3-compatible server for ownership and session state.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../src/lambda/index.js';
import { startAgentCorePeer, type AgentCorePeer } from '../support/agentcore-server.js';
import { API_DOMAIN as DOMAIN, API_STAGE as STAGE, apiEvent as gatewayEvent, parsed, type ApiRequest } from '../support/api-gateway.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.js';
import { startTestService, type TestService } from '../support/service.js';

const ARN = 'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:runtime/cca_agent-AbCdEf1234';
const BUCKET = 'cca-lambda-test';
const PREFIX = 'team/agent';
const KEY_A = 'keyid-alice-0001';
const KEY_B = 'keyid-bob-0002';
const PY = 'print("Hello, World!")\n';
const SEED = {
  prompt: '[[scenario:hello]] Create a hello world Python script',
  permission_mode: 'acceptEdits',
  allowed_tools: 'Bash,Read,Write,Replace,Search,List',
};

/** An API Gateway event of KEY_A unless another key (or none) is named. */
const apiEvent = (o: Omit<ApiRequest, 'apiKeyId'> & { apiKeyId?: string | null }) =>
  gatewayEvent({ ...o, apiKeyId: o.apiKeyId === undefined ? KEY_A : o.apiKeyId });

const invokeEvent = (body: unknown, o: { apiKeyId?: string | null; headers?: Record<string, string> } = {}) =>
  apiEvent({ method: 'POST', path: '/invoke', resource: '/invoke', body: typeof body === 'string' ? body : JSON.stringify(body), ...o });

const sessionEvent = (sessionId: string, apiKeyId: string) =>
  apiEvent({
    method: 'GET',
    path: `/sessions/${sessionId}`,
    resource: '/sessions/{session_id}',
    pathParameters: { session_id: sessionId },
    apiKeyId,
  });

const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'ap-northeast-1',
  RUNTIME_ARN: ARN,
  BUCKET,
  STORAGE_PREFIX: PREFIX,
  AGENTCORE_QUALIFIER: 'DEFAULT',
  CCA_S3_FORCE_PATH_STYLE: '1',
  // The runtime's and the Lambda's S3 clients take credentials from the SDK's default chain, as on AWS.
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
};

describe('the API Lambda in front of AgentCore', () => {
  let s3: TestS3Server;
  let svc: TestService;
  let peer: AgentCorePeer;
  let handler: ApiHandler;
  const savedEnv: Record<string, string | undefined> = {};
  const setEnv = (vars: Record<string, string>) => {
    for (const [name, value] of Object.entries(vars)) {
      if (!(name in savedEnv)) savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
  };

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: BUCKET });
    setEnv({ ...LAMBDA_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint });
    // The runtime as on AgentCore: `cca runtime --storage s3://bucket/prefix`, mirroring session state.
    svc = await startTestService({
      responder: scenarios({
        hello: [
          { content: [text('Creating the script.'), toolUse('Write', { file_path: 'hello.py', content: PY })] },
          { content: [text('Created hello.py.')] },
        ],
        slow: [{ content: [text('Thinking it over.')], delayMs: 3000 }],
      }),
      env: { CCA_STORAGE: `s3://${BUCKET}/${PREFIX}`, AWS_ENDPOINT_URL_S3: s3.endpoint, CCA_S3_FORCE_PATH_STYLE: '1' },
    });
    peer = await startAgentCorePeer({ runtimeArn: ARN, runtimeUrl: svc.url });
    // The handler reads its environment once, at module load: set it first, then import.
    setEnv({ AGENTCORE_ENDPOINT: peer.url });
    ({ handler } = await import('../../src/lambda/handler.js'));
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await peer?.close();
    await svc?.close();
    await s3?.close();
  });

  let sessionA = '';

  it("runs the original sample's request and answers in the seed's shape, the file listed", async () => {
    const { status, body, headers } = parsed(await handler(invokeEvent(SEED)));
    expect(status).toBe(200);
    expect(headers['Access-Control-Allow-Origin']).toBe('*');
    const out = body.output;
    expect(out).toMatchObject({ success: true, result: 'Created hello.py.', stop_reason: 'completed' });
    expect(out.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.metadata.uploaded_files).toHaveLength(1);
    expect(out.metadata.uploaded_files[0]).toMatchObject({
      file_name: 'hello.py',
      size: Buffer.byteLength(PY),
      sha256: createHash('sha256').update(PY).digest('hex'),
    });
    const download = await fetch(out.metadata.uploaded_files[0].download_url);
    expect(await download.text()).toBe(PY);
    sessionA = out.session_id;

    // What AgentCore saw: the configured runtime and endpoint, a long enough session id, the request as JSON.
    const seen = peer.requests.at(-1);
    expect(seen).toMatchObject({ agentRuntimeArn: ARN, qualifier: 'DEFAULT', contentType: 'application/json', accept: 'application/json' });
    expect(seen?.runtimeSessionId).toBe(sessionA);
    expect(seen?.runtimeSessionId?.length).toBeGreaterThanOrEqual(33);
    expect(JSON.parse(seen?.payload ?? '{}')).toMatchObject({ prompt: SEED.prompt, permission_mode: 'acceptEdits', session_id: sessionA });
  });

  it('shows the run on GET /sessions/{id}, from the state the runtime mirrored, with working links', async () => {
    let detail = parsed(await handler(sessionEvent(sessionA, KEY_A)));
    // The runtime mirrors the final state just after it answers: give the write a moment.
    for (let i = 0; i < 40 && detail.body.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      detail = parsed(await handler(sessionEvent(sessionA, KEY_A)));
    }
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ session_id: sessionA, status: 'succeeded', invocation_count: 1, last_prompt: SEED.prompt });
    const [inv] = detail.body.invocations;
    expect(inv).toMatchObject({ status: 'succeeded', success: true, result: 'Created hello.py.', prompt: SEED.prompt });
    expect(Date.parse(inv.started_at)).toBeLessThanOrEqual(Date.parse(inv.ended_at));
    const [file] = inv.files;
    expect(file.s3_url).toMatch(new RegExp(`^s3://${BUCKET}/${PREFIX}/outputs/\\d{8}_\\d{6}_[0-9a-f]{8}/hello\\.py$`));
    expect(await (await fetch(file.download_url)).text()).toBe(PY);
  });

  it('continues its own session with session_id', async () => {
    const { status, body } = parsed(await handler(invokeEvent({ prompt: '[[scenario:hello]] and now?', session_id: sessionA })));
    expect(status).toBe(200);
    expect(body.output.session_id).toBe(sessionA);
    expect(body.output.success).toBe(true);
  });

  it("answers 404 to another key's session, on POST and GET alike, without reaching AgentCore", async () => {
    const before = peer.requests.length;
    const post = parsed(await handler(invokeEvent({ prompt: 'take it over', session_id: sessionA }, { apiKeyId: KEY_B })));
    expect(post.status).toBe(404);
    expect(post.body).toEqual({ message: `Session ${sessionA} was not found; omit session_id to start a new session.`, code: 'not_found' });
    const get = parsed(await handler(sessionEvent(sessionA, KEY_B)));
    expect(get.status).toBe(404);
    expect(get.body).toEqual({ message: `Session ${sessionA} was not found.`, code: 'not_found' });
    expect(peer.requests.length).toBe(before);
    // The owner still sees it.
    expect(parsed(await handler(sessionEvent(sessionA, KEY_A))).status).toBe(200);
  });

  it.each([
    ['invalid JSON', '{"prompt": "x",'],
    ['an empty body', ''],
    ['a missing prompt', { permission_mode: 'acceptEdits' }],
    ['an unknown tool', { prompt: 'x', allowed_tools: 'Bash,Teleport' }],
    ['an unknown permission mode', { prompt: 'x', permission_mode: 'yolo' }],
    ['max_turns over the maximum', { prompt: 'x', max_turns: 10_000 }],
    ['a session id the runtime refuses', { prompt: 'x', session_id: '../../etc' }],
    ['a body over 1 MiB', { prompt: 'x'.repeat(1024 * 1024 + 1) }],
  ])('answers %s exactly as the local gateway does', async (_name, body) => {
    const before = peer.requests.length;
    const local = await svc.invoke(body);
    const lambda = parsed(await handler(invokeEvent(body)));
    expect(local.status).toBeGreaterThanOrEqual(400);
    expect(lambda.status).toBe(local.status);
    expect(lambda.body).toEqual(local.body);
    expect(peer.requests.length).toBe(before);
  });

  it('answers 403 Forbidden, as API Gateway, when there is no API key id', async () => {
    const res = parsed(await handler(invokeEvent(SEED, { apiKeyId: null })));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ message: 'Forbidden' });
  });

  it('refuses a session id shorter than AgentCore allows, saying why', async () => {
    const before = peer.requests.length;
    const res = parsed(await handler(invokeEvent({ prompt: 'x', session_id: 'my-session-1' })));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_request', field: 'session_id', min_length: 33 });
    expect(res.body.message).toMatch(/12 characters.*at least 33/);
    expect(peer.requests.length).toBe(before);
  });

  it("answers 409 when the session is already running, from AgentCore's 424", async () => {
    const sessionId = `conflict-${'c'.repeat(30)}`;
    const first = handler(invokeEvent({ prompt: '[[scenario:slow]] think', session_id: sessionId }));
    while (!peer.requests.some((r) => r.runtimeSessionId === sessionId)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const second = parsed(await handler(invokeEvent({ prompt: 'again', session_id: sessionId })));
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      message: `Session ${sessionId} is already running an invocation; wait for it to finish, or use another session_id.`,
      code: 'conflict',
    });
    expect(peer.requests.at(-1)?.status).toBe(424);
    expect(parsed(await first).status).toBe(200);
  });

  it('builds GET /sessions/{id} from the mirrored state, with links presigned afresh', async () => {
    const sessionId = `mirrored-${'m'.repeat(30)}`;
    const key = 'outputs/20250101_120000_3f2a9c1e/app/main.py';
    const put = (k: string, body: string) => s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${k}`, Body: body }));
    await put(key, 'app = 1\n');
    await put(`sessions/${sessionId}/owner.json`, JSON.stringify({ owner: KEY_A, created_at: '2025-01-01T11:59:00.000Z' }));
    const file = {
      file_name: 'app/main.py',
      key,
      size: 8,
      sha256: createHash('sha256').update('app = 1\n').digest('hex'),
      content_type: 'text/x-python',
      s3_url: `s3://${BUCKET}/${PREFIX}/${key}`,
      console_url: 'https://s3.console.aws.amazon.com/s3/object/x',
      download_url: 'https://expired.example.com/app/main.py',
      expires_at: '2025-01-01T13:00:00.000Z',
    };
    const output = {
      output: {
        success: true,
        result: 'Built it.',
        session_id: sessionId,
        invocation_id: '3f2a9c1e-0000-4000-8000-000000000000',
        timestamp: '2025-01-01T12:00:05.000Z',
        model: 'claude-haiku-4-5',
        stop_reason: 'completed',
        cost_usd: 0.01,
        usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        errors: [],
        permission_denials: [],
        metadata: {
          duration_ms: 5000,
          num_turns: 2,
          uploaded_files: [file],
          skipped_files: [],
          failed_uploads: [],
          storage_prefix: 'outputs/20250101_120000_3f2a9c1e',
        },
      },
    };
    const state = {
      session_id: sessionId,
      owner: null,
      invocation_id: output.output.invocation_id,
      status: 'succeeded',
      prompt: 'Build it',
      updated_at: '2025-01-01T12:00:05.000Z',
      output,
    };
    await put(`sessions/${sessionId}/state.json`, JSON.stringify(state));

    const { status, body } = parsed(await handler(sessionEvent(sessionId, KEY_A)));
    expect(status).toBe(200);
    expect(body).toMatchObject({
      session_id: sessionId,
      status: 'succeeded',
      created_at: '2025-01-01T11:59:00.000Z',
      updated_at: '2025-01-01T12:00:05.000Z',
      invocation_count: 1,
      last_prompt: 'Build it',
    });
    expect(body.invocations[0]).toMatchObject({
      invocation_id: output.output.invocation_id,
      status: 'succeeded',
      started_at: '2025-01-01T12:00:00.000Z',
      ended_at: '2025-01-01T12:00:05.000Z',
      success: true,
      result: 'Built it.',
      num_turns: 2,
      cost_usd: 0.01,
    });
    const [fresh] = body.invocations[0].files;
    expect(fresh.download_url).not.toBe(file.download_url);
    expect(Date.parse(fresh.expires_at)).toBeGreaterThan(Date.now());
    const download = await fetch(fresh.download_url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('app = 1\n');
    expect(parsed(await handler(sessionEvent(sessionId, KEY_B))).status).toBe(404);
  });

  it('answers async with 202 and a status URL that ends succeeded with the output', async () => {
    const res = parsed(await handler(invokeEvent({ ...SEED, async: true })));
    expect(res.status).toBe(202);
    const sessionId = res.body.session_id as string;
    const statusUrl = `https://${DOMAIN}/${STAGE}/sessions/${sessionId}`;
    expect(res.body).toEqual({ session_id: sessionId, invocation_id: expect.any(String), status: 'queued', status_url: statusUrl });
    expect(res.headers.Location).toBe(statusUrl);
    expect(res.headers['Preference-Applied']).toBe('respond-async');
    expect(JSON.parse(peer.requests.at(-1)?.payload ?? '{}')).toMatchObject({ async: true, session_id: sessionId });

    let detail: any;
    const deadline = Date.now() + 45_000;
    do {
      await new Promise((r) => setTimeout(r, 250));
      detail = parsed(await handler(sessionEvent(sessionId, KEY_A))).body;
    } while (!['succeeded', 'failed', 'timed_out', 'cancelled'].includes(detail.status) && Date.now() < deadline);
    expect(detail.status).toBe('succeeded');
    expect(detail.invocations[0]).toMatchObject({ invocation_id: res.body.invocation_id, success: true, result: 'Created hello.py.' });
    const [file] = detail.invocations[0].files;
    expect(file.file_name).toBe('hello.py');
    expect(await (await fetch(file.download_url)).text()).toBe(PY);
  });
});

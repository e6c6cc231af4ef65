import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand, StopRuntimeSessionCommand } from '@aws-sdk/client-bedrock-agentcore';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { BusyError, ConflictError, NotFoundError, ThrottledError, ValidationError } from '../errors/index.js';
import { agentCoreInvoker, runtimeError, RuntimeUnavailableError } from './runtime.js';

const ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/cca_agent-AbCdEf1234';
const ID = 's'.repeat(36);
const named = (name: string, message = name) => Object.assign(new Error(message), { name });
const fromRuntime = (status: number) =>
  named('RuntimeClientError', `Received error (${status}) from runtime. Please check your CloudWatch logs for more information.`);

describe('runtimeError', () => {
  it("turns the runtime's 409 back into the local gateway's conflict", () => {
    const err = runtimeError(fromRuntime(409), ID);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe(`Session ${ID} is already running an invocation; wait for it to finish, or use another session_id.`);
  });

  it('answers capacity problems with 503 or 429 and Retry-After', () => {
    expect(runtimeError(fromRuntime(503), ID)).toBeInstanceOf(BusyError);
    expect(runtimeError(named('ServiceQuotaExceededException'), ID).headers()).toEqual({ 'Retry-After': '5' });
    expect(runtimeError(named('ThrottlingException'), ID)).toBeInstanceOf(ThrottledError);
  });

  it('answers anything else with a 502 that names no secret, only the status or error name', () => {
    const failed = runtimeError(fromRuntime(500), ID);
    expect(failed).toBeInstanceOf(RuntimeUnavailableError);
    expect(failed.status).toBe(502);
    expect(failed.message).toMatch(/answered 500/);
    const init = runtimeError(named('RuntimeClientError', 'Runtime initialization time exceeded.'), ID);
    expect(init.message).toMatch(/Runtime initialization time exceeded/);
    expect(runtimeError(named('AccessDeniedException', 'User arn:aws:iam::1:role/x is not authorized'), ID).message).toBe(
      "The agent runtime could not be invoked (AccessDeniedException); the operator can find the cause in the API function's logs.",
    );
  });

  it("lets a request say what the runtime's statuses mean for it", () => {
    const gone = new NotFoundError('No pending permission request r in session s.');
    expect(runtimeError(fromRuntime(404), ID, { 404: () => gone })).toBe(gone);
    expect(runtimeError(fromRuntime(409), ID, { 404: () => gone })).toBeInstanceOf(ConflictError);
  });

  it('keeps errors that are already ours', () => {
    const ours = new ValidationError('no');
    expect(runtimeError(ours, ID)).toBe(ours);
  });
});

describe('agentCoreInvoker', () => {
  const mock = mockClient(BedrockAgentCoreClient);
  afterEach(() => mock.reset());
  const invoker = () => agentCoreInvoker(new BedrockAgentCoreClient({ region: 'us-east-1' }), { runtimeArn: ARN, qualifier: 'live' });

  it('sends the session, endpoint and JSON payload, and returns the status, type and body unchanged', async () => {
    mock.on(InvokeAgentRuntimeCommand).resolves({
      statusCode: 202,
      contentType: 'application/json',
      response: { transformToString: async () => '{"invocation_id":"i"}' } as never,
    });
    expect(await invoker().invoke(ID, { prompt: 'hi', async: true })).toEqual({
      status: 202,
      contentType: 'application/json',
      body: '{"invocation_id":"i"}',
    });
    const input = mock.commandCalls(InvokeAgentRuntimeCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      agentRuntimeArn: ARN,
      qualifier: 'live',
      runtimeSessionId: ID,
      contentType: 'application/json',
      accept: 'application/json',
    });
    expect(JSON.parse(Buffer.from(input?.payload as Uint8Array).toString('utf8'))).toEqual({ prompt: 'hi', async: true });
  });

  it('throws mapped errors', async () => {
    mock.on(InvokeAgentRuntimeCommand).rejects(fromRuntime(409));
    await expect(invoker().invoke(ID, {})).rejects.toBeInstanceOf(ConflictError);
  });

  it('stops a session with StopRuntimeSession on the same endpoint, and says when AgentCore has no such session', async () => {
    mock.on(StopRuntimeSessionCommand).resolvesOnce({ statusCode: 200 }).rejectsOnce(named('ResourceNotFoundException'));
    expect(await invoker().stop(ID)).toBe('stopped');
    expect(await invoker().stop(ID)).toBe('not_found');
    expect(mock.commandCalls(StopRuntimeSessionCommand)[0]?.args[0].input).toEqual({
      agentRuntimeArn: ARN,
      qualifier: 'live',
      runtimeSessionId: ID,
    });
    mock.on(StopRuntimeSessionCommand).rejects(named('AccessDeniedException'));
    await expect(invoker().stop(ID)).rejects.toBeInstanceOf(RuntimeUnavailableError);
  });
});

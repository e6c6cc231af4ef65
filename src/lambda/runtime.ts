/**
 * Calling the runtime on AgentCore: `InvokeAgentRuntime` with the session as `runtimeSessionId`,
 * the JSON request as payload, the runtime's answer read whole. AgentCore replaces any non-2xx
 * answer of the container with a 424 RuntimeClientError that only keeps the status
 * ("Received error (409) from runtime..."), so the Lambda validates everything it can before the
 * call and turns what is left back into the local gateway's errors here.
 */
import { InvokeAgentRuntimeCommand, StopRuntimeSessionCommand, type BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { AppError, BusyError, ConflictError, ThrottledError } from '../errors/index.js';

/** The runtime's answer: its status, content type and body, unchanged. */
export interface RuntimeAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** What the runtime's own error statuses mean for one kind of request (AgentCore keeps only the status). */
export type StatusErrors = Partial<Record<number, () => AppError>>;

/** Runs requests on the runtime of a session, and stops the session. */
export interface RuntimeInvoker {
  /** Sends `payload` to the session's runtime; a runtime status in `statuses` throws that error. */
  invoke(sessionId: string, payload: Record<string, unknown>, statuses?: StatusErrors): Promise<RuntimeAnswer>;
  /** Ends the session's microVM (StopRuntimeSession); `not_found` when AgentCore has no such session. */
  stop(sessionId: string): Promise<'stopped' | 'not_found'>;
}

/** The agent runtime could not be reached or failed in a way the caller cannot fix (502). */
export class RuntimeUnavailableError extends AppError {
  readonly status = 502;
  readonly code = 'runtime_error';
}

/**
 * A RuntimeInvoker on an AgentCore Runtime endpoint (`qualifier`). Errors are thrown as AppErrors.
 * @example const runtime = agentCoreInvoker(new BedrockAgentCoreClient({ region }), { runtimeArn, qualifier: 'DEFAULT' });
 */
export function agentCoreInvoker(client: BedrockAgentCoreClient, target: { runtimeArn: string; qualifier: string }): RuntimeInvoker {
  return {
    async invoke(sessionId, payload, statuses) {
      try {
        const out = await client.send(
          new InvokeAgentRuntimeCommand({
            agentRuntimeArn: target.runtimeArn,
            qualifier: target.qualifier,
            runtimeSessionId: sessionId,
            contentType: 'application/json',
            accept: 'application/json',
            payload: Buffer.from(JSON.stringify(payload), 'utf8'),
          }),
        );
        const body = (await out.response?.transformToString('utf8')) ?? '';
        return { status: out.statusCode ?? 200, contentType: out.contentType || 'application/json', body };
      } catch (err) {
        throw runtimeError(err, sessionId, statuses);
      }
    },
    async stop(sessionId) {
      try {
        await client.send(
          new StopRuntimeSessionCommand({ agentRuntimeArn: target.runtimeArn, qualifier: target.qualifier, runtimeSessionId: sessionId }),
        );
        return 'stopped';
      } catch (err) {
        if ((err as { name?: unknown } | null)?.name === 'ResourceNotFoundException') return 'not_found';
        throw runtimeError(err, sessionId);
      }
    },
  };
}

/** Seconds a caller should wait before retrying when AgentCore is short of capacity. */
const RETRY_AFTER_S = 5;

/** Maps an error of InvokeAgentRuntime (or StopRuntimeSession) to what the caller should see. */
export function runtimeError(err: unknown, sessionId: string, statuses: StatusErrors = {}): AppError {
  if (err instanceof AppError) return err;
  const { name, message } = err instanceof Error ? err : { name: 'Error', message: String(err) };
  switch (name) {
    case 'RuntimeClientError': {
      const status = Number(/Received error \((\d{3})\)/.exec(message)?.[1]);
      const mapped = statuses[status]?.();
      if (mapped !== undefined) return mapped;
      if (status === 409) {
        // The runtime's own message: one invocation at a time per session.
        return new ConflictError(
          `Session ${sessionId} is already running an invocation; wait for it to finish, or use another session_id.`,
        );
      }
      if (status === 503 || status === 429) {
        return new BusyError(`The agent runtime of session ${sessionId} is at capacity; retry after ${RETRY_AFTER_S} s.`, RETRY_AFTER_S);
      }
      return new RuntimeUnavailableError(
        Number.isFinite(status)
          ? `The agent runtime failed (it answered ${status}); the operator can find the cause in the runtime's logs.`
          : `The agent runtime failed (${message}); the operator can find the cause in the runtime's logs.`,
      );
    }
    case 'ThrottlingException':
      return new ThrottledError(1);
    case 'ServiceQuotaExceededException':
    case 'RetryableConflictException':
      return new BusyError(`Amazon Bedrock AgentCore cannot take this session now; retry after ${RETRY_AFTER_S} s.`, RETRY_AFTER_S);
    default:
      return new RuntimeUnavailableError(
        `The agent runtime could not be invoked (${name}); the operator can find the cause in the API function's logs.`,
      );
  }
}

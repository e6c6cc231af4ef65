/** AgentCore Runtime status: read once (`cca info`) or polled until READY (`cca deploy`). */
import { GetAgentRuntimeCommand, type BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';
import { StepError } from './steps.js';

export interface RuntimeStatus {
  status: string;
  failureReason?: string;
  version?: string;
  lastUpdatedAt?: Date;
}

const FAILED = new Set(['CREATE_FAILED', 'UPDATE_FAILED', 'DELETE_FAILED', 'DELETING']);

/** One `GetAgentRuntime`. */
export async function getRuntimeStatus(client: BedrockAgentCoreControlClient, runtimeId: string): Promise<RuntimeStatus> {
  const answer = await client.send(new GetAgentRuntimeCommand({ agentRuntimeId: runtimeId }));
  return {
    status: answer.status ?? 'UNKNOWN',
    ...(answer.failureReason ? { failureReason: answer.failureReason } : {}),
    ...(answer.agentRuntimeVersion ? { version: answer.agentRuntimeVersion } : {}),
    ...(answer.lastUpdatedAt ? { lastUpdatedAt: answer.lastUpdatedAt } : {}),
  };
}

/**
 * Polls until the runtime is READY (resolves), fails or the time is up (rejects with why);
 * `onStatus` sees each new status.
 * @example await waitForRuntime(client, 'rt-123', { sleep, onStatus: (s) => io.stdout(`${s}\n`) });
 */
export async function waitForRuntime(
  client: BedrockAgentCoreControlClient,
  runtimeId: string,
  opts: { sleep: (ms: number) => Promise<void>; onStatus: (status: string) => void; intervalMs?: number; timeoutMs?: number },
): Promise<RuntimeStatus> {
  const interval = opts.intervalMs ?? 5_000;
  const polls = Math.max(1, Math.ceil((opts.timeoutMs ?? 15 * 60_000) / interval));
  let last = '';
  for (let i = 0; i < polls; i++) {
    const current = await getRuntimeStatus(client, runtimeId);
    if (current.status !== last) opts.onStatus(current.status);
    last = current.status;
    if (current.status === 'READY') return current;
    if (FAILED.has(current.status)) {
      throw new StepError(`the runtime ${runtimeId} is ${current.status}${current.failureReason ? `: ${current.failureReason}` : ''}`);
    }
    await opts.sleep(interval);
  }
  throw new StepError(
    `the runtime ${runtimeId} was still ${last} after ${Math.round((polls * interval) / 1000)} s; see "cca info" and "cca logs".`,
  );
}

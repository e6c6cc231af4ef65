/**
 * Remote approval of tool uses (manual mode): each request is announced as an event and waits for
 * an answer over the API; no answer within the approval timeout, or the run ending, denies it.
 */
import { randomUUID } from 'node:crypto';
import type { Verdict } from '../runner/index.js';

export interface PermissionRequest {
  request_id: string;
  tool: string;
  input: Record<string, unknown>;
  expires_at: string;
}

export interface PermissionDecision {
  request_id: string;
  tool: string;
  decision: 'allow' | 'deny';
  by: 'api' | 'timeout' | 'cancel';
  message?: string;
}

interface Pending {
  request: PermissionRequest;
  settle: (decision: PermissionDecision) => void;
}

/** What answering a request did. */
export type AnswerResult = 'answered' | 'unknown' | 'already_answered';

/** The pending approvals of one run. */
export class Approvals {
  private readonly pending = new Map<string, Pending>();
  private readonly settled = new Set<string>();

  constructor(
    private readonly opts: {
      timeoutMs: number;
      onRequest: (request: PermissionRequest) => void;
      onDecision: (decision: PermissionDecision) => void;
    },
  ) {}

  /** Announces a tool use and waits for its answer; the signal (the run's end) denies it. */
  request(tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<Verdict> {
    const request: PermissionRequest = {
      request_id: randomUUID(),
      tool,
      input,
      expires_at: new Date(Date.now() + this.opts.timeoutMs).toISOString(),
    };
    return new Promise<Verdict>((resolve) => {
      const settle = (decision: PermissionDecision) => {
        if (!this.pending.delete(request.request_id)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.settled.add(request.request_id);
        this.opts.onDecision(decision);
        resolve(decision.decision === 'allow' ? { allow: true } : { allow: false, reason: denyReason(decision, this.opts.timeoutMs) });
      };
      const deny = (by: 'timeout' | 'cancel') => settle({ request_id: request.request_id, tool, decision: 'deny', by });
      const timer = setTimeout(() => deny('timeout'), this.opts.timeoutMs);
      const onAbort = () => deny('cancel');
      this.pending.set(request.request_id, { request, settle });
      signal.addEventListener('abort', onAbort, { once: true });
      this.opts.onRequest(request);
      if (signal.aborted) onAbort();
    });
  }

  /** Answers a pending request from the API. */
  answer(requestId: string, decision: 'allow' | 'deny', message?: string): AnswerResult {
    const pending = this.pending.get(requestId);
    if (pending === undefined) return this.settled.has(requestId) ? 'already_answered' : 'unknown';
    pending.settle({
      request_id: requestId,
      tool: pending.request.tool,
      decision,
      by: 'api',
      ...(message !== undefined ? { message } : {}),
    });
    return 'answered';
  }
}

function denyReason(decision: PermissionDecision, timeoutMs: number): string {
  if (decision.by === 'timeout') return `manual: no answer within ${Math.round(timeoutMs / 1000)} s, so ${decision.tool} was denied.`;
  if (decision.by === 'cancel') return `manual: the run ended before ${decision.tool} was approved.`;
  return decision.message ? `manual: denied: ${decision.message}` : `manual: ${decision.tool} was denied by the approver.`;
}

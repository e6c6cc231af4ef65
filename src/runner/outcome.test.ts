import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isLimitStop, OutcomeBuilder, stoppedByLimit } from './outcome.js';
import type { PermissionDenial } from './permissions.js';

// Hand-built SDK messages carrying only the fields OutcomeBuilder reads.
const sdk = (message: Record<string, unknown>) => message as unknown as SDKMessage;

const init = (model = 'claude-haiku-4-5', session_id = 'cc-session-1') => sdk({ type: 'system', subtype: 'init', model, session_id });

const assistant = (texts: string[], error?: string) =>
  sdk({
    type: 'assistant',
    message: { content: [...texts.map((text) => ({ type: 'text', text })), { type: 'tool_use', id: 'tu', name: 'Bash', input: {} }] },
    ...(error !== undefined ? { error } : {}),
  });

const USAGE = { input_tokens: 120, output_tokens: 30, cache_creation_input_tokens: 7, cache_read_input_tokens: null };

function result(fields: Record<string, unknown>) {
  return sdk({
    type: 'result',
    subtype: 'success',
    session_id: 'cc-session-1',
    is_error: false,
    result: '',
    errors: [],
    num_turns: 3,
    total_cost_usd: 0.0123,
    usage: USAGE,
    permission_denials: [],
    ...fields,
  });
}

function run(messages: SDKMessage[]): OutcomeBuilder {
  const builder = new OutcomeBuilder(Date.now());
  for (const message of messages) builder.observe(message);
  return builder;
}

const END = { timeoutMs: 60_000 };

afterEach(() => {
  vi.useRealTimers();
});

describe('OutcomeBuilder', () => {
  it('reports a successful result with model, session, turns, cost and usage', () => {
    const outcome = run([init(), assistant(['Working']), result({ result: 'Created hello.py' })]).build(END, []);
    expect(outcome).toMatchObject({
      success: true,
      stopReason: 'completed',
      result: 'Created hello.py',
      errors: [],
      model: 'claude-haiku-4-5',
      claudeSessionId: 'cc-session-1',
      numTurns: 3,
      costUsd: 0.0123,
      usage: { input_tokens: 120, output_tokens: 30, cache_creation_input_tokens: 7, cache_read_input_tokens: 0 },
      permissionDenials: [],
    });
  });

  it('measures the duration from the start it was given', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(10_000);
    const builder = new OutcomeBuilder(Date.now());
    vi.setSystemTime(12_345);
    expect(builder.build(END, []).durationMs).toBe(2_345);
  });

  it('takes the session id of the result over the init message', () => {
    const outcome = run([init('m', 'from-init'), result({ session_id: 'from-result' })]).build(END, []);
    expect(outcome.claudeSessionId).toBe('from-result');
  });

  it('falls back to the last assistant text when the result text is empty', () => {
    const outcome = run([assistant(['first']), assistant(['Done: ', 'hello.py']), assistant([]), result({ result: '' })]).build(END, []);
    expect(outcome.result).toBe('Done: hello.py');
    expect(outcome.success).toBe(true);
  });

  it('fails a success result that has is_error set, with its text as the error', () => {
    const outcome = run([result({ is_error: true, result: 'API Error: 400 bad request' })]).build(END, []);
    expect(outcome).toMatchObject({
      success: false,
      stopReason: 'error',
      result: 'API Error: 400 bad request',
      errors: ['API Error: 400 bad request'],
    });
  });

  it('fails a success result that followed an assistant error message, reporting the model error', () => {
    const outcome = run([assistant(['Invalid API key'], 'authentication_failed'), result({ result: 'Invalid API key' })]).build(END, []);
    expect(outcome).toMatchObject({ success: false, stopReason: 'error', errors: ['authentication_failed: Invalid API key'] });
  });

  it('describes an assistant error without text', () => {
    const outcome = run([assistant([], 'rate_limit'), result({})]).build(END, []);
    expect(outcome.errors).toEqual(['rate_limit: model request failed']);
  });

  it.each([
    ['error_max_turns', 'max_turns', 'Stopped: reached max_turns before finishing.'],
    ['error_max_budget_usd', 'max_budget', 'Stopped: reached max_budget_usd before finishing.'],
    ['error_during_execution', 'error', 'Claude Code reported an error during execution.'],
  ])('maps %s without errors to %s with a description', (subtype, stopReason, message) => {
    const outcome = run([init(), result({ subtype, total_cost_usd: 0.5 })]).build(END, []);
    expect(outcome).toMatchObject({ success: false, stopReason, result: message, errors: [message], costUsd: 0.5 });
  });

  it('reports a limit stop given as the abort reason, with its own message', () => {
    const stop = { stopReason: 'memory_limit', message: 'Stopped: the run went over its memory limit of 256 MB.' } as const;
    const outcome = run([init(), assistant(['working'])]).build({ abortReason: stop, timeoutMs: 90_000 }, []);
    expect(outcome).toMatchObject({ success: false, stopReason: 'memory_limit', result: stop.message, errors: [stop.message] });
  });

  it('reports a budget stop by the service’s meter as max_budget, with nothing reported by Claude Code', () => {
    const stop = { stopReason: 'max_budget', message: 'Stopped: the run spent its budget.' } as const;
    expect(isLimitStop(stop)).toBe(true);
    const outcome = run([init(), assistant(['working'])]).build({ abortReason: stop, timeoutMs: 90_000 }, []);
    expect(outcome).toMatchObject({ success: false, stopReason: 'max_budget', result: stop.message, costUsd: 0, costReported: false });
  });

  it('counts the tokens of every model call (modelUsage), not the main loop’s usage alone', () => {
    const modelUsage = {
      'claude-haiku-4-5': {
        inputTokens: 300_100,
        outputTokens: 3_020,
        cacheReadInputTokens: 5,
        cacheCreationInputTokens: 6,
        costUSD: 0.3152,
      },
      'claude-sonnet-4-5': { inputTokens: 10, outputTokens: 20, cacheReadInputTokens: 1, cacheCreationInputTokens: 2, costUSD: 0.0003 },
    };
    const outcome = run([init(), result({ subtype: 'error_max_budget_usd', usage: USAGE, modelUsage, total_cost_usd: 0.3155 })]).build(
      END,
      [],
    );
    expect(outcome).toMatchObject({
      costUsd: 0.3155,
      costReported: true,
      usage: { input_tokens: 300_110, output_tokens: 3_040, cache_read_input_tokens: 6, cache_creation_input_tokens: 8 },
    });
  });

  it('names a limit found after the run ended by itself, keeping what the run reported', () => {
    const ended = run([init(), result({ subtype: 'error_during_execution', errors: ['Claude Code process exited with code 137'] })]).build(
      END,
      [],
    );
    const stop = { stopReason: 'process_limit', message: 'Stopped: too many processes.' } as const;
    expect(stoppedByLimit(ended, stop)).toMatchObject({
      success: false,
      stopReason: 'process_limit',
      result: stop.message,
      errors: ['Claude Code process exited with code 137', stop.message],
      model: 'claude-haiku-4-5',
    });
    expect(isLimitStop(stop)).toBe(true);
    expect(isLimitStop({ stopReason: 'timeout', message: 'x' })).toBe(false);
    expect(isLimitStop('memory_limit')).toBe(false);
  });

  it('reports the errors an error result carries, after any model errors', () => {
    const outcome = run([assistant([], 'overloaded'), result({ subtype: 'error_during_execution', errors: ['boom', 'crash'] })]).build(
      END,
      [],
    );
    expect(outcome.errors).toEqual(['overloaded: model request failed', 'boom', 'crash']);
    expect(outcome.result).toBe(outcome.errors.join('\n'));
    expect(outcome.stopReason).toBe('error');
  });

  it.each([
    ['timeout', 'Timed out after 90 s; files written so far were stored.'],
    ['cancelled', 'Cancelled; files written so far were stored.'],
  ] as const)('reports an abort for %s even after a successful result', (abortReason, message) => {
    const outcome = run([init(), result({ result: 'ok' })]).build({ abortReason, timeoutMs: 90_000 }, []);
    expect(outcome).toMatchObject({
      success: false,
      stopReason: abortReason,
      result: message,
      errors: [message],
      model: 'claude-haiku-4-5',
    });
  });

  it('reports a thrown error when no result came, keeping what the stream said', () => {
    const outcome = run([init(), assistant(['x'], 'server_error')]).build(
      { thrown: new Error('process exited with code 1'), timeoutMs: 1000 },
      [],
    );
    expect(outcome).toMatchObject({
      success: false,
      stopReason: 'error',
      errors: ['server_error: x', 'Claude Code ended without a result: process exited with code 1'],
      model: 'claude-haiku-4-5',
      claudeSessionId: 'cc-session-1',
      numTurns: 0,
      costUsd: 0,
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(outcome.result).toBe(outcome.errors.join('\n'));
  });

  it('reports a stream that ended with neither result nor exception', () => {
    expect(new OutcomeBuilder(Date.now()).build(END, []).errors).toEqual(['Claude Code ended without a result: no result']);
  });

  it('merges SDK permission denials not already recorded, with a reason', () => {
    const ours: PermissionDenial[] = [
      { tool_name: 'WebFetch', tool_use_id: 'tu_1', reason: 'acceptEdits: WebFetch is not in allowed_tools.' },
    ];
    const outcome = run([
      result({
        permission_denials: [
          { tool_name: 'WebFetch', tool_use_id: 'tu_1', tool_input: {} },
          { tool_name: 'Bash', tool_use_id: 'tu_2', tool_input: { command: 'curl x' } },
        ],
      }),
    ]).build(END, ours);
    expect(outcome.permissionDenials).toEqual([
      ours[0],
      { tool_name: 'Bash', tool_use_id: 'tu_2', reason: 'Denied by Claude Code: not pre-approved in this permission mode.' },
    ]);
  });

  it('keeps recorded denials when no result came', () => {
    const ours: PermissionDenial[] = [{ tool_name: 'Write', tool_use_id: 'tu_1', reason: 'r' }];
    expect(new OutcomeBuilder(Date.now()).build({ abortReason: 'cancelled', timeoutMs: 1 }, ours).permissionDenials).toEqual(ours);
  });
});

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/index.js';
import { AgentRelay, type AgentBinding } from './agent-setup.js';

const hit = { stopReason: 'memory_limit', message: 'over its memory' } as const;

function binding(over: Partial<AgentBinding> = {}): AgentBinding {
  return {
    controller: new AbortController(),
    log: silentLogger(),
    onDenied: () => undefined,
    observer: undefined,
    approver: undefined,
    ...over,
  };
}

describe('AgentRelay', () => {
  it("aborts the agent with the bound run's reason, also when the run was aborted before it was bound", () => {
    const relay = new AgentRelay(silentLogger());
    const run = binding();
    relay.bind(run);
    run.controller.abort('timeout');
    expect(relay.controller.signal.reason).toBe('timeout');
    const early = new AgentRelay(silentLogger());
    const cancelled = binding();
    cancelled.controller.abort('cancelled');
    early.bind(cancelled);
    expect(early.controller.signal.aborted).toBe(true);
  });

  it('serves exactly one run', () => {
    const relay = new AgentRelay(silentLogger());
    relay.bind(binding());
    expect(() => relay.bind(binding())).toThrow(/exactly one/);
  });

  it('ends an agent that goes over a limit while it waits, and stops the run it then serves', () => {
    const waiting = new AgentRelay(silentLogger());
    waiting.onLimitHit(hit);
    expect(waiting.controller.signal.reason).toBe(hit);
    const run = binding();
    waiting.bind(run);
    expect(run.controller.signal.reason).toBe(hit);
  });

  it("reaches the bound run's approver and meter, and refuses approvals before a run is bound", async () => {
    const relay = new AgentRelay(silentLogger());
    const signal = new AbortController().signal;
    expect(await relay.approver('Bash', {}, signal)).toMatchObject({ allow: false });
    expect(relay.observer.refusal()).toBeUndefined();
    const usage: number[] = [];
    relay.bind(
      binding({
        approver: async () => ({ allow: true }),
        observer: { onUsage: (id) => void usage.push(id), refusal: () => 'spent' },
      }),
    );
    expect(await relay.approver('Bash', {}, signal)).toEqual({ allow: true });
    relay.observer.onUsage(7, undefined, { input_tokens: 1, output_tokens: 1 } as never);
    expect(usage).toEqual([7]);
    expect(relay.observer.refusal()).toBe('spent');
  });
});

/**
 * The running cost of one run, from the usage of each model response the credential broker
 * forwards for it (the broker reports a response's usage as it grows: its input at the start, its
 * output at the end). Counted here, outside the run, so what a run spends is known while it runs,
 * after it is cancelled or killed, and whatever the run itself reports.
 */
import type { TokenUsage } from '../schemas/responses.js';
import { costOf, type CallUsage } from './prices.js';

/** What a run has used so far. */
export interface MeterReading {
  costUsd: number;
  usage: TokenUsage;
  /** Model responses counted. */
  calls: number;
}

const FIELDS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

/** A reading of nothing. */
export function emptyReading(): MeterReading {
  return { costUsd: 0, usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }, calls: 0 };
}

/**
 * Sums the model responses of one run; each response is counted once, at its latest usage.
 * @example const meter = new RunMeter({ capUsd: 0.5, onChange: (r) => ledger.progress(id, r) }); meter.record(1, 'claude-haiku-4-5', usage);
 */
export class RunMeter {
  private readonly calls = new Map<number, { cost: number; usage: TokenUsage }>();
  private readonly total = emptyReading();

  constructor(
    private readonly opts: {
      /** The run's budget: once the meter reaches it, `reached()` is true. Undefined: none. */
      capUsd?: number | undefined;
      onChange?: ((reading: MeterReading) => void) | undefined;
    } = {},
  ) {}

  /** Counts response `callId` of `model` at its latest `usage` (a response reported again replaces its last report). */
  record(callId: number, model: string | undefined, usage: CallUsage): void {
    const before = this.calls.get(callId);
    const now = { cost: costOf(model, usage), usage: tokensOf(usage) };
    this.calls.set(callId, now);
    this.total.costUsd += now.cost - (before?.cost ?? 0);
    for (const field of FIELDS) this.total.usage[field] += now.usage[field] - (before?.usage[field] ?? 0);
    this.total.calls = this.calls.size;
    this.opts.onChange?.(this.reading());
  }

  /** A copy of what is counted so far. */
  reading(): MeterReading {
    return { costUsd: this.total.costUsd, usage: { ...this.total.usage }, calls: this.total.calls };
  }

  /** Whether the run has spent its budget: the broker refuses its next model call. */
  reached(): boolean {
    return this.opts.capUsd !== undefined && this.total.costUsd >= this.opts.capUsd;
  }

  /** The run's budget, if it has one. */
  get capUsd(): number | undefined {
    return this.opts.capUsd;
  }
}

function tokensOf(usage: CallUsage): TokenUsage {
  const whole = (n: number | undefined) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0);
  return {
    input_tokens: whole(usage.input_tokens),
    output_tokens: whole(usage.output_tokens),
    cache_creation_input_tokens: whole(usage.cache_creation_input_tokens),
    cache_read_input_tokens: whole(usage.cache_read_input_tokens),
  };
}

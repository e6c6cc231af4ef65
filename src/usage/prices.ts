/**
 * What a model call costs, from the usage its response reports: the list prices Claude Code 2.1
 * prices calls at (its `total_cost_usd`), so the service's meter and Claude Code's own figure agree
 * for the models both know. The meter prices every call the credential broker forwards, including
 * calls that never reach Claude Code's count (a run that calls the model with its token directly).
 */

/** US dollars per million tokens, and per web search. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  webSearch: number;
  /** Higher rates for a call whose prompt passes `aboveTokens` (input, cache reads and writes together). */
  longPrompt?: { aboveTokens: number; input: number; output: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number };
}

/** The usage of one model response, as the Messages API reports it (fields may be missing). */
export interface CallUsage {
  input_tokens?: number | undefined;
  output_tokens?: number | undefined;
  cache_creation_input_tokens?: number | undefined;
  cache_read_input_tokens?: number | undefined;
  /** Cache writes kept an hour (counted inside cache_creation_input_tokens), priced higher. */
  cache_creation?: { ephemeral_1h_input_tokens?: number | undefined } | undefined;
  server_tool_use?: { web_search_requests?: number | undefined } | undefined;
  /** `us`: served in the US only, 1.1 times the price. */
  inference_geo?: string | undefined;
}

const tier = (input: number, output: number, cacheRead = input / 10): ModelPrice => ({
  input,
  output,
  cacheWrite5m: input * 1.25,
  cacheWrite1h: input * 2,
  cacheRead,
  webSearch: 0.01,
});

/**
 * Model families and their prices, first match wins (Claude Code 2.1.331's table). Ids are matched
 * after the provider's wrapping is taken off: `us.anthropic.claude-haiku-4-5-20251001-v1:0` and
 * `claude-haiku-4-5@20251001` are `claude-haiku-4-5-20251001`.
 */
const PRICES: readonly (readonly [RegExp, ModelPrice])[] = [
  [/^claude-3-haiku/, { ...tier(0.25, 1.25), cacheWrite5m: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03 }],
  [/^claude-(3-5-haiku|haiku-3-5)/, { ...tier(0.8, 4), cacheWrite5m: 1, cacheWrite1h: 1.6, cacheRead: 0.08 }],
  [/^claude-haiku-4-5/, tier(1, 5)],
  [
    /^claude-haiku-5-5/,
    {
      ...tier(0.1, 0.5),
      longPrompt: { aboveTokens: 100_000, input: 0.5, output: 2.5, cacheWrite5m: 0.625, cacheWrite1h: 1, cacheRead: 0.05 },
    },
  ],
  [/^claude-(3-opus|opus-4-0|opus-4-1|opus-4-\d{8}|opus-4$)/, tier(15, 75)],
  [/^claude-opus-5-5/, tier(4, 20, 0.2)],
  [/^claude-opus-(4-[5-9]|5)/, tier(5, 25)],
  [/^claude-(3-5-sonnet|3-7-sonnet|sonnet-4)/, tier(3, 15)],
  [/^claude-sonnet-5-5/, tier(2, 10, 0.1)],
  [/^claude-sonnet-5/, tier(2, 10)],
  [/^claude-(fable|mythos)-5-2/, tier(8, 40, 0.2)],
  [/^claude-(fable|mythos)-5-1/, tier(10, 50, 0.25)],
  [/^claude-(fable|mythos)-5/, tier(10, 50)],
];

/** A model Claude Code has no price for is priced at its default model's rate, as it does. */
export const UNKNOWN_MODEL_PRICE: ModelPrice = tier(4, 20, 0.2);

/**
 * The canonical id of a provider's model id: no Bedrock region or vendor prefix, inference profile
 * ARN or version suffix, no Vertex `@date`.
 * @example canonicalModel('us.anthropic.claude-haiku-4-5-20251001-v1:0') // 'claude-haiku-4-5-20251001'
 */
export function canonicalModel(model: string): string {
  let id = model.trim().toLowerCase();
  id = id.slice(id.lastIndexOf('/') + 1);
  id = id.replace(/^([a-z]{2,6}\.)?anthropic\./, '');
  id = id.replace(/-v\d+(:\d+)?$/, '').replace(/@/, '-');
  return id;
}

/** The price of a model (the default model's rate when unknown). */
export function priceOf(model: string | undefined): ModelPrice {
  const id = canonicalModel(model ?? '');
  return PRICES.find(([pattern]) => pattern.test(id))?.[1] ?? UNKNOWN_MODEL_PRICE;
}

/**
 * The cost in US dollars of one model response.
 * @example costOf('claude-haiku-4-5', { input_tokens: 1_000_000, output_tokens: 0 }) // 1
 */
export function costOf(model: string | undefined, usage: CallUsage): number {
  const base = priceOf(model);
  const tokens = (n: number | undefined) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);
  const input = tokens(usage.input_tokens);
  const written = tokens(usage.cache_creation_input_tokens);
  const written1h = Math.min(written, tokens(usage.cache_creation?.ephemeral_1h_input_tokens));
  const read = tokens(usage.cache_read_input_tokens);
  const long = base.longPrompt !== undefined && input + written + read > base.longPrompt.aboveTokens ? base.longPrompt : undefined;
  const price = long ?? base;
  const cost =
    (input * price.input +
      tokens(usage.output_tokens) * price.output +
      (written - written1h) * price.cacheWrite5m +
      written1h * price.cacheWrite1h +
      read * price.cacheRead) /
      1e6 +
    tokens(usage.server_tool_use?.web_search_requests) * base.webSearch;
  return usage.inference_geo === 'us' ? cost * 1.1 : cost;
}

/**
 * `GET /usage`: the calling key's runs, tokens and cost by UTC day, and where it stands against
 * its budgets. A read like the session reads: it counts against the key's request limits as they
 * do, and starts nothing.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { error, FORBIDDEN, json, THROTTLED } from '../../http/openapi-responses.js';
import type { CallerEnv } from '../../runtime/index.js';
import { UsageReportSchema, type UsageReport } from '../../schemas/index.js';
import { DEFAULT_USAGE_DAYS, MAX_USAGE_DAYS, usageRange, usageReport, type SpendLedger } from '../../usage/index.js';
import { ownerOf } from './owner.js';

const DAYS_MESSAGE = `days must be a whole number from 1 to ${MAX_USAGE_DAYS}.`;

/** `GET /usage?from=&to=&days=`. */
export const UsageQuery = z.object({
  from: z
    .string()
    .optional()
    .meta({ description: 'First UTC day, `YYYY-MM-DD` (default: `days` before `to`).', examples: ['2025-01-01'] }),
  to: z
    .string()
    .optional()
    .meta({ description: 'Last UTC day, included (default: today).', examples: ['2025-01-31'] }),
  days: z.coerce
    .number({ error: DAYS_MESSAGE })
    .int(DAYS_MESSAGE)
    .min(1, DAYS_MESSAGE)
    .max(MAX_USAGE_DAYS, DAYS_MESSAGE)
    .optional()
    .meta({ description: `Days up to \`to\`, today included (default ${DEFAULT_USAGE_DAYS}); not with \`from\`.` }),
});

const EXAMPLE_USAGE: UsageReport = {
  key_id: 'k1a2b3c4d5e6',
  from: '2025-01-30',
  to: '2025-01-31',
  timezone: 'UTC',
  totals: {
    runs: 3,
    runs_by_outcome: { succeeded: 2, failed: 1 },
    cost_usd: 0.0873,
    usage: { input_tokens: 61200, output_tokens: 4310, cache_creation_input_tokens: 0, cache_read_input_tokens: 12000 },
  },
  days: [
    {
      day: '2025-01-30',
      runs: 1,
      runs_by_outcome: { succeeded: 1 },
      cost_usd: 0.0291,
      usage: { input_tokens: 20400, output_tokens: 1436, cache_creation_input_tokens: 0, cache_read_input_tokens: 4000 },
    },
    {
      day: '2025-01-31',
      runs: 2,
      runs_by_outcome: { succeeded: 1, failed: 1 },
      cost_usd: 0.0582,
      usage: { input_tokens: 40800, output_tokens: 2874, cache_creation_input_tokens: 0, cache_read_input_tokens: 8000 },
    },
  ],
  budget: {
    day: {
      window: '2025-01-31',
      budget_usd: 5,
      spent_usd: 0.0582,
      held_usd: 0,
      remaining_usd: 4.9418,
      active_runs: 0,
      resets_at: '2025-02-01T00:00:00.000Z',
    },
    month: {
      window: '2025-01',
      budget_usd: null,
      spent_usd: 0.0873,
      held_usd: 0,
      remaining_usd: null,
      active_runs: 0,
      resets_at: '2025-02-01T00:00:00.000Z',
    },
  },
};

/** The declaration of `GET /usage`. */
export const usageRoute = createRoute({
  method: 'get',
  path: '/usage',
  operationId: 'getUsage',
  tags: ['Usage'],
  summary: "The key's runs, tokens and cost, and its budgets",
  description:
    'Runs by outcome, tokens and cost for each UTC day from `from` to `to` (at most 366 days; default the last 30), their totals, and where the key stands against its daily and monthly budgets now. A run counts on the day it was admitted; runs in progress count with what they have spent so far.',
  request: { query: UsageQuery },
  responses: {
    200: json("The key's usage.", UsageReportSchema, EXAMPLE_USAGE),
    400: error('`from`, `to` or `days` is invalid.', {
      message: 'from must be a UTC day written YYYY-MM-DD, e.g. 2025-01-31.',
      code: 'invalid_request',
    }),
    403: FORBIDDEN,
    429: THROTTLED,
  },
});

/** What the usage read needs. */
export interface UsageDeps {
  spend: SpendLedger;
  auth: MiddlewareHandler<CallerEnv>;
  /** Milliseconds since the epoch (today, and the budget windows). */
  now: () => number;
}

/** Serves `GET /usage` on `app`. */
export function serveUsage(app: OpenAPIHono<CallerEnv>, deps: UsageDeps): void {
  app.openapi({ ...usageRoute, middleware: [deps.auth] }, (c) => {
    const keyId = ownerOf(c);
    const nowMs = deps.now();
    const range = usageRange(c.req.valid('query'), nowMs);
    const budgets = c.get('caller')?.budgets ?? { dayUsd: null, monthUsd: null };
    return c.json(usageReport(deps.spend, keyId, budgets, range, nowMs), 200);
  });
}

/** What `GET /usage` answers: the calling key's runs, tokens and cost by UTC day, and where it stands against its budgets. */
import { z } from 'zod';
import { TokenUsageSchema } from './responses.js';

/** How a run is counted in the usage: in progress, or its final status. */
export const USAGE_OUTCOMES = ['in_progress', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'] as const;

const usdAmount = (description: string) => z.number().nonnegative().meta({ description });

/** Runs, tokens and cost of some runs. */
export const UsageTotalsSchema = z
  .object({
    runs: z.number().int().nonnegative().meta({ description: 'Runs charged to these days.' }),
    runs_by_outcome: z
      .partialRecord(z.enum(USAGE_OUTCOMES), z.number().int().positive())
      .meta({ description: 'The runs by how they ended (`in_progress`: queued or running now).', examples: [{ succeeded: 4, failed: 1 }] }),
    cost_usd: usdAmount("What they cost in US dollars: each ended run's `cost_usd`, plus what the runs in progress have spent so far."),
    usage: TokenUsageSchema,
  })
  .meta({ id: 'UsageTotals', description: 'Runs, tokens and cost.' });
export type UsageTotals = z.infer<typeof UsageTotalsSchema>;

/** One key's standing against one of its budgets. */
export const BudgetStandingSchema = z
  .object({
    window: z.string().meta({ description: 'The UTC day (`YYYY-MM-DD`) or month (`YYYY-MM`) counted now.', examples: ['2025-01-01'] }),
    budget_usd: z.number().nullable().meta({ description: 'The budget; null: none.' }),
    spent_usd: usdAmount('Spent in this window: ended runs, and what runs in progress have spent so far.'),
    held_usd: usdAmount('Held beyond that by runs in progress (each holds its max_budget_usd until it ends).'),
    remaining_usd: z
      .number()
      .nullable()
      .meta({ description: 'The budget less what is spent and held: the most a new run can be given now; null: no budget.' }),
    active_runs: z.number().int().nonnegative().meta({ description: 'Runs in progress charged to this window.' }),
    resets_at: z.string().meta({ description: 'When the next window starts (ISO 8601, UTC).', examples: ['2025-01-02T00:00:00.000Z'] }),
  })
  .meta({ id: 'BudgetStanding', description: 'Where the key stands against one of its budgets.' });
export type BudgetStanding = z.infer<typeof BudgetStandingSchema>;

/** The answer of `GET /usage`. */
export const UsageReportSchema = z
  .object({
    key_id: z.string().meta({ description: 'The calling API key.' }),
    from: z.string().meta({ description: 'First day counted (UTC, `YYYY-MM-DD`).' }),
    to: z.string().meta({ description: 'Last day counted, included.' }),
    timezone: z.literal('UTC').meta({ description: 'Days and months are UTC calendar days and months.' }),
    totals: UsageTotalsSchema,
    days: z.array(UsageTotalsSchema.extend({ day: z.string().meta({ description: 'The UTC day.' }) })).meta({
      description: 'Each day from `from` to `to`, oldest first; days without runs have zeros. A run counts on the day it was admitted.',
    }),
    budget: z
      .object({ day: BudgetStandingSchema, month: BudgetStandingSchema })
      .meta({ description: "Today and this month against the key's budgets (`cca keys update --budget-usd-day / --budget-usd-month`)." }),
  })
  .meta({ id: 'UsageReport', description: "The calling key's runs, tokens and cost by UTC day, and its budgets." });
export type UsageReport = z.infer<typeof UsageReportSchema>;

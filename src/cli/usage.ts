/**
 * `cca usage`: what your API key's runs used and cost, by UTC day, and where it stands against its
 * budgets (`GET /usage`). `--all-keys` is the operator's view: every key of a data directory, read
 * from its database on this machine as `cca keys` does (the API has no admin route).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/index.js';
import { ValidationError } from '../errors/index.js';
import { KeyRepo } from '../keys/index.js';
import { USAGE_OUTCOMES, UsageReportSchema, type BudgetStanding, type UsageReport, type UsageTotals } from '../schemas/usage.js';
import { openDatabase } from '../store/index.js';
import { SpendLedger, standingOf, usageRange } from '../usage/index.js';
import { describeHttpError } from './api-report.js';
import { positiveInteger } from './api.js';
import { callService, resolveConnection, serviceUrl, type ConnectionFlags } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import { isOk } from './http-request.js';
import { EXIT, UsageError } from './io.js';
import { formatTable, plural } from './table.js';

type UsageFlags = ConnectionFlags & { days?: string; from?: string; to?: string; json?: boolean; 'all-keys'?: boolean };

/** Runs `cca usage`: 0 shown, 1 the request failed, 2 usage. */
export async function runUsage({ values, positionals }: CommandInput<UsageFlags>, ctx: CommandContext): Promise<number> {
  const now = ctx.now ?? (() => new Date());
  if (positionals.length > 0)
    throw new UsageError(`cca usage takes no arguments; got "${positionals[0]}". Days: --days N or --from DAY [--to DAY].`);
  const days = values.days === undefined ? undefined : positiveInteger('--days', values.days);
  const query = { from: values.from, to: values.to, days };
  // Checked here too: a mistyped day is a usage error before any request (the service says the same).
  let range: { from: string; to: string };
  try {
    range = usageRange(query, now().getTime(), { from: '--from', to: '--to', days: '--days' });
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(err.message);
    throw err;
  }
  if (values['all-keys']) return allKeys(values, range, ctx, now());

  const conn = resolveConnection(values, ctx.env, ctx.cwd);
  const url = serviceUrl(conn, '/usage', { from: values.from, to: values.to, days: days?.toString() });
  const reply = await callService(ctx.io, conn, url, { method: 'GET' });
  if (reply === undefined) return EXIT.failure;
  if (!isOk(reply)) {
    ctx.io.stderr(`cca: ${describeHttpError(reply, url.href, now())}\n`);
    return EXIT.failure;
  }
  const report = parseReport(reply.text);
  if (report === undefined) {
    ctx.io.stderr(`cca: ${url.href} answered ${reply.status} with a body that is not a usage report: ${reply.text.slice(0, 300)}\n`);
    return EXIT.failure;
  }
  ctx.io.stdout(values.json ? `${reply.text.trimEnd()}\n` : renderReport(report));
  return EXIT.ok;
}

/** One key's usage as a table of days, totals and its budgets. */
export function renderReport(report: UsageReport): string {
  const lines = [`Usage of API key ${report.key_id}, ${report.from} to ${report.to} (UTC days):`, ''];
  const active = report.days.filter((d) => d.runs > 0);
  if (active.length === 0) lines.push('No runs in these days.');
  else {
    const columns = [
      { header: 'DAY' },
      { header: 'RUNS', right: true },
      { header: 'SUCCEEDED', right: true },
      { header: 'FAILED', right: true },
      { header: 'OTHER', right: true },
      { header: 'INPUT', right: true },
      { header: 'OUTPUT', right: true },
      { header: 'CACHE WRITE', right: true },
      { header: 'CACHE READ', right: true },
      { header: 'COST $', right: true },
    ];
    const row = (label: string, t: UsageTotals) => {
      const succeeded = t.runs_by_outcome.succeeded ?? 0;
      const failed = t.runs_by_outcome.failed ?? 0;
      return [
        label,
        String(t.runs),
        String(succeeded),
        String(failed),
        String(t.runs - succeeded - failed),
        String(t.usage.input_tokens),
        String(t.usage.output_tokens),
        String(t.usage.cache_creation_input_tokens),
        String(t.usage.cache_read_input_tokens),
        dollars(t.cost_usd),
      ];
    };
    lines.push(formatTable(columns, [...active.map((d) => row(d.day, d)), row('TOTAL', report.totals)]).trimEnd());
    const other = USAGE_OUTCOMES.filter((o) => o !== 'succeeded' && o !== 'failed').flatMap((o) => {
      const n = report.totals.runs_by_outcome[o];
      return n === undefined ? [] : [[o, n] as const];
    });
    if (other.length > 0) lines.push(`OTHER: ${other.map(([o, n]) => `${n} ${o.replace('_', ' ')}`).join(', ')}.`);
  }
  lines.push('', budgetLine('today', report.budget.day), budgetLine('this month', report.budget.month));
  return `${lines.join('\n')}\n`;
}

function budgetLine(when: string, b: BudgetStanding): string {
  const spent = `$${dollars(b.spent_usd)} spent`;
  const held = b.active_runs > 0 ? `, $${dollars(b.held_usd)} more held by ${plural(b.active_runs, 'run')} in progress` : '';
  if (b.budget_usd === null) return `Budget ${when} (${b.window}): none; ${spent}${held}.`;
  return `Budget ${when} (${b.window}): $${dollars(b.budget_usd)}; ${spent}${held}, $${dollars(b.remaining_usd ?? 0)} left; resets ${b.resets_at}.`;
}

/** Dollars to the cent, or to four places under a dollar (runs often cost fractions of a cent). */
function dollars(usd: number): string {
  return usd < 1 ? usd.toFixed(4) : usd.toFixed(2);
}

/** `--all-keys`: every key of the data directory, from its database. */
function allKeys(values: UsageFlags, range: { from: string; to: string }, ctx: CommandContext, now: Date): number {
  const dataDir = loadConfig({ 'data-dir': values['data-dir'] }, ctx.env, undefined, ctx.cwd).dataDir;
  if (!fs.existsSync(path.join(dataDir, 'cca.db'))) {
    ctx.io.stdout(`No API keys in ${dataDir}. Create one with: cca keys create --name NAME\n`);
    return EXIT.ok;
  }
  const db = openDatabase(dataDir);
  let rows;
  try {
    const spend = new SpendLedger(db);
    const totals = new Map(spend.byKey(range.from, range.to).map((t) => [t.key_id, t]));
    rows = new KeyRepo(db).list().map((key) => {
      const t = totals.get(key.id);
      const [day, month] = spend.standing(key.id, { dayUsd: key.budget_usd_day, monthUsd: key.budget_usd_month }, now.getTime());
      return {
        key_id: key.id,
        name: key.name,
        status: key.revoked_at === null ? 'active' : 'revoked',
        runs: t?.runs ?? 0,
        cost_usd: t?.cost_usd ?? 0,
        usage: {
          input_tokens: t?.input_tokens ?? 0,
          output_tokens: t?.output_tokens ?? 0,
          cache_creation_input_tokens: t?.cache_creation_input_tokens ?? 0,
          cache_read_input_tokens: t?.cache_read_input_tokens ?? 0,
        },
        budget: { day: standingOf(day), month: standingOf(month) },
      };
    });
  } finally {
    db.close();
  }
  if (values.json) {
    ctx.io.stdout(`${JSON.stringify({ from: range.from, to: range.to, timezone: 'UTC', keys: rows }, null, 2)}\n`);
    return EXIT.ok;
  }
  const columns = [
    { header: 'ID' },
    { header: 'NAME' },
    { header: 'STATUS' },
    { header: 'RUNS', right: true },
    { header: 'INPUT', right: true },
    { header: 'OUTPUT', right: true },
    { header: 'COST $', right: true },
    { header: 'TODAY $', right: true },
    { header: 'MONTH $', right: true },
  ];
  const spentOf = (b: BudgetStanding) => `${dollars(b.spent_usd)}/${b.budget_usd === null ? '-' : dollars(b.budget_usd)}`;
  const cells = rows.map((r) => [
    r.key_id,
    r.name,
    r.status,
    String(r.runs),
    String(r.usage.input_tokens),
    String(r.usage.output_tokens),
    dollars(r.cost_usd),
    spentOf(r.budget.day),
    spentOf(r.budget.month),
  ]);
  ctx.io.stdout(
    `Usage of every key in ${dataDir}, ${range.from} to ${range.to} (UTC days); TODAY and MONTH: spent/budget.\n\n${formatTable(columns, cells)}`,
  );
  return EXIT.ok;
}

function parseReport(text: string): UsageReport | undefined {
  try {
    const parsed = UsageReportSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyRepo } from '../keys/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { SpendLedger, usageReport } from '../usage/index.js';
import { usageCommand } from './entries.js';
import type { CliIo } from './io.js';

const NOW = new Date('2025-06-10T12:00:00.000Z');
const TOKENS = { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 30, cache_read_input_tokens: 4 };

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-usage-cli-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** A stand-in for the service's /usage that answers what the real report says of a real ledger. */
let server: http.Server;
let base: string;
let answer: { status: number; body: unknown; headers?: Record<string, string> };
const asked: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const env = { CCA_ENDPOINT: base, CCA_API_KEY: 'cca_k', CCA_DATA_DIR: dataDir };
  const code = await usageCommand(args, env, io, { cwd: dataDir, now: () => NOW });
  return { code, stdout, stderr };
}

/** Two keys with runs: one with a daily budget. */
function seed(db: Db): { spender: string; other: string; ledger: SpendLedger } {
  const keys = new KeyRepo(db);
  const spender = keys.create('spender', { budgetUsdDay: 2 }).record.id;
  const other = keys.create('other').record.id;
  const ledger = new SpendLedger(db);
  const charge = (keyId: string, id: string, at: string, status: string, costUsd: number) => {
    ledger.admit({ invocationId: id, keyId, sessionId: 's', requestedUsd: 5, budgets: { dayUsd: null, monthUsd: null } }, Date.parse(at));
    if (status !== 'active') ledger.finish(id, { status, costUsd, usage: TOKENS }, NOW);
    else ledger.progress(id, { costUsd, usage: TOKENS, calls: 1 });
  };
  charge(spender, 'a', '2025-06-09T08:00:00Z', 'succeeded', 0.5);
  charge(spender, 'b', '2025-06-10T08:00:00Z', 'cancelled', 0.25);
  charge(spender, 'c', '2025-06-10T09:00:00Z', 'active', 0.125);
  charge(other, 'd', '2025-05-31T09:00:00Z', 'failed', 3);
  return { spender, other, ledger };
}

describe('cca usage', () => {
  it("prints the key's days, totals and budgets from GET /usage, asking for the days given", async () => {
    const db = openDatabase(dataDir);
    const { spender, ledger } = seed(db);
    const report = usageReport(ledger, spender, { dayUsd: 2, monthUsd: null }, { from: '2025-06-04', to: '2025-06-10' }, NOW.getTime());
    db.close();
    answer = { status: 200, body: report };
    const { code, stdout } = await run(['--days', '7']);
    expect(code).toBe(0);
    expect(asked.at(-1)).toBe('/usage?days=7');
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`Usage of API key ${spender}, 2025-06-04 to 2025-06-10 (UTC days):`);
    expect(lines.find((l) => l.startsWith('DAY'))).toMatch(
      /^DAY +RUNS +SUCCEEDED +FAILED +OTHER +INPUT +OUTPUT +CACHE WRITE +CACHE READ +COST \$$/,
    );
    expect(lines.find((l) => l.startsWith('2025-06-09'))).toMatch(/^2025-06-09 +1 +1 +0 +0 +1000 +200 +30 +4 +0\.5000$/);
    expect(lines.find((l) => l.startsWith('2025-06-10'))).toMatch(/^2025-06-10 +2 +0 +0 +2 +2000 +400 +60 +8 +0\.3750$/);
    expect(lines.find((l) => l.startsWith('TOTAL'))).toMatch(/^TOTAL +3 +1 +0 +2 +3000 +600 +90 +12 +0\.8750$/);
    expect(stdout).toContain('OTHER: 1 in progress, 1 cancelled.');
    expect(stdout).toContain(
      'Budget today (2025-06-10): $2.00; $0.3750 spent, $4.88 more held by 1 run in progress, $0.0000 left; resets 2025-06-11T00:00:00.000Z.',
    );
    expect(stdout).toContain('Budget this month (2025-06): none; $0.8750 spent, $4.88 more held by 1 run in progress.');

    const json = await run(['--from', '2025-06-01', '--to', '2025-06-10', '--json']);
    expect(asked.at(-1)).toBe('/usage?from=2025-06-01&to=2025-06-10');
    expect(JSON.parse(json.stdout)).toEqual(report);
  });

  it('says what a 402 means, and refuses bad days before asking', async () => {
    answer = {
      status: 402,
      headers: { 'retry-after': '3600' },
      body: { message: 'This API key has spent $2.10 of its daily budget of $2.00.', code: 'budget_exceeded' },
    };
    const refused = await run([]);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      expect.stringMatching(/budget is spent \(402 Payment Required\): This API key has spent .* It resets in 1 h/),
    ]);
    const before = asked.length;
    for (const [args, message] of [
      [['--from', '2025-02-30'], /--from must be a UTC day written YYYY-MM-DD/],
      [['--days', '0'], /--days must be a positive integer/],
      [['--days', '400'], /--days must be a whole number from 1 to 366/],
      [['--from', '2025-06-01', '--days', '3'], /either --from or --days/],
      [['extra'], /takes no arguments/],
    ] as const) {
      const bad = await run([...args]);
      expect([bad.code, bad.stderr], args.join(' ')).toEqual([2, expect.stringMatching(message)]);
    }
    expect(asked.length).toBe(before);
  });

  it('--all-keys reads every key of the data dir from its database: runs, tokens, cost and budgets', async () => {
    const db = openDatabase(dataDir);
    const { spender, other } = seed(db);
    db.close();
    const before = asked.length;
    const { code, stdout } = await run(['--all-keys', '--days', '30']);
    expect(code).toBe(0);
    expect(asked.length).toBe(before);
    expect(stdout).toContain(`Usage of every key in ${dataDir}, 2025-05-12 to 2025-06-10 (UTC days)`);
    const lines = stdout.split('\n');
    expect(lines.find((l) => l.startsWith(spender))).toMatch(/ spender +active +3 +3000 +600 +0\.8750 +0\.3750\/2\.00 +0\.8750\/-$/);
    expect(lines.find((l) => l.startsWith(other))).toMatch(/ other +active +1 +1000 +200 +3\.00 +0\.0000\/- +0\.0000\/-$/);
    const json = JSON.parse((await run(['--all-keys', '--from', '2025-06-01', '--json'])).stdout);
    expect(json).toMatchObject({ from: '2025-06-01', to: '2025-06-10', timezone: 'UTC' });
    expect(json.keys.find((k: { key_id: string }) => k.key_id === other)).toMatchObject({ runs: 0, cost_usd: 0 });
    expect(json.keys.find((k: { key_id: string }) => k.key_id === spender)).toMatchObject({
      runs: 3,
      cost_usd: 0.875,
      budget: { day: { budget_usd: 2, spent_usd: 0.375, active_runs: 1 } },
    });
  });
});

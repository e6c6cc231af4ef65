import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKeys } from '../../test/support/keys-cli.js';
import { RequestLimiter } from '../gateway/limits.js';
import { loadSigningSecret, UrlSigner } from '../artifacts/index.js';
import { GIT_CREDENTIALS_KEY_LABEL, GitCredentialStore, KeyRepo } from '../keys/index.js';
import { openDatabase } from '../store/index.js';
import { SpendLedger } from '../usage/index.js';
import { keysCommand } from './entries.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-keys-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const run = (args: string[], env?: NodeJS.ProcessEnv) => runKeys(dataDir, args, NOW, env);

async function createJson(...extra: string[]): Promise<{ id: string; name: string; key: string }> {
  const { code, stdout } = await run(['create', '--name', 'ci-bot', '--json', ...extra]);
  expect(code).toBe(0);
  return JSON.parse(stdout) as { id: string; name: string; key: string };
}

describe('cca keys create', () => {
  it('prints the key once, says it cannot be shown again, and stores only a working hash', async () => {
    const { code, stdout } = await run(['create', '--name', 'me']);
    expect(code).toBe(0);
    const key = /^ {2}(cca_\S+)$/m.exec(stdout)?.[1];
    expect(key).toBeDefined();
    expect(stdout.split(key as string)).toHaveLength(2);
    expect(stdout).toContain('cannot be shown again');
    expect(stdout).toMatch(/10 requests\/s, burst 20, 1000 invocations or uploads a day \(UTC\), 4 runs at once/);

    const db = openDatabase(dataDir);
    try {
      expect(new KeyRepo(db).authenticate(key as string)?.name).toBe('me');
      const raw = db.prepare('SELECT * FROM api_keys').all();
      expect(JSON.stringify(raw)).not.toContain(key as string);
    } finally {
      db.close();
    }
  });

  it('--json prints exactly {"id","name","key","webhook_secret"} on one line, with the limits given', async () => {
    const { code, stdout } = await run([
      'create',
      '--name',
      'ci-bot',
      '--json',
      '--rate',
      '2.5',
      '--burst',
      '5',
      '--quota',
      '50',
      '--concurrency',
      '1',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\{[^\n]*\}\n$/);
    const printed = JSON.parse(stdout) as Record<string, string>;
    expect(Object.keys(printed)).toEqual(['id', 'name', 'key', 'webhook_secret']);
    expect(printed.webhook_secret).toMatch(/^whsec_/);
    expect(printed.name).toBe('ci-bot');
    const db = openDatabase(dataDir);
    try {
      expect(new KeyRepo(db).get(printed.id as string)).toMatchObject({ rate_per_s: 2.5, burst: 5, daily_quota: 50, max_concurrent: 1 });
    } finally {
      db.close();
    }
  });

  it('takes --data-dir over CCA_DATA_DIR, and a relative one from the working directory', async () => {
    const other = path.join(dataDir, 'other');
    const { code } = await run(['create', '--name', 'x', '--data-dir', 'other'], { CCA_DATA_DIR: path.join(dataDir, 'env') });
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(other, 'cca.db'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'env'))).toBe(false);
  });

  it.each([
    [['--name', 'x', '--rate', '0'], /^cca: --rate must be a number greater than 0/],
    [['--name', 'x', '--burst', '1.5'], /^cca: --burst must be a whole number from 1/],
    [['--name', 'x', '--quota', 'lots'], /^cca: --quota must be a number; got "lots"/],
    [['--name', 'x', '--concurrency', '0'], /^cca: --concurrency must be a whole number from 1/],
    [['--name', 'bad\nname'], /^cca: --name must be 1 to 64 printable characters/],
    [[], /^cca: --name is required/],
    [['--name', 'x', '--colour', 'red'], /^cca: Unknown option '--colour'/],
  ])('refuses %j with exit 2 and a message, no stack', async (args, message) => {
    const { code, stdout, stderr } = await run(['create', ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('cca keys list', () => {
  it('shows every key with status, limits and requests used today', async () => {
    const a = await createJson('--quota', '50');
    const b = await createJson();
    expect((await run(['revoke', b.id])).code).toBe(0);
    const db = openDatabase(dataDir);
    try {
      const limiter = new RequestLimiter(db);
      const key = new KeyRepo(db).get(a.id);
      if (key === undefined) throw new Error('key missing');
      for (let i = 0; i < 3; i++) expect(limiter.take(key, NOW.getTime()).ok).toBe(true);
    } finally {
      db.close();
    }

    const { code, stdout } = await run(['list']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID +NAME +CREATED +STATUS +RATE\/S +BURST +QUOTA\/DAY +USED TODAY +CONCURRENCY +QUEUED +STORED MB +SPENT TODAY \$ +SPENT MONTH \$ +GIT HOSTS$/,
    );
    const rowA = lines.find((l) => l.startsWith(a.id));
    const rowB = lines.find((l) => l.startsWith(b.id));
    expect(rowA).toMatch(
      new RegExp(`^${a.id} +ci-bot +2025-06-01T12:00:00Z +active +10 +20 +50 +3 +4 +default +0\\.0/default +0\\.00/- +0\\.00/- +-$`),
    );
    expect(rowB).toMatch(
      new RegExp(`^${b.id} +ci-bot +2025-06-01T12:00:00Z +revoked +10 +20 +1000 +0 +4 +default +0\\.0/default +0\\.00/- +0\\.00/- +-$`),
    );
  });

  it('--json lists the records with status and used_today', async () => {
    const a = await createJson();
    const { code, stdout } = await run(['list', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      {
        id: a.id,
        name: 'ci-bot',
        created_at: NOW.toISOString(),
        revoked_at: null,
        rate_per_s: 10,
        burst: 20,
        daily_quota: 1000,
        max_concurrent: 4,
        max_timeout_s: null,
        max_turns: null,
        max_upload_files: null,
        max_upload_mb: null,
        max_budget_usd: null,
        max_memory_mb: null,
        max_pids: null,
        max_cpus: null,
        max_disk_mb: null,
        max_queued: null,
        storage_quota_mb: null,
        budget_usd_day: null,
        budget_usd_month: null,
        status: 'active',
        used_today: 0,
        stored_bytes: 0,
        spent_usd_today: 0,
        spent_usd_month: 0,
        git_credential_hosts: [],
        webhook_url: null,
        webhook_events: null,
        webhook_secret: 'set',
      },
    ]);
  });

  it('an empty or missing data dir: says how to create a key, creates nothing', async () => {
    const missing = path.join(dataDir, 'missing');
    const { code, stdout } = await run(['list', '--data-dir', missing]);
    expect(code).toBe(0);
    expect(stdout).toContain('cca keys create --name NAME');
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('cca keys revoke', () => {
  it('revokes: the key no longer authenticates, and revoking again keeps the first time', async () => {
    const a = await createJson();
    const first = await run(['revoke', a.id]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`Revoked API key ${a.id} ("ci-bot")`);
    const db = openDatabase(dataDir);
    try {
      expect(new KeyRepo(db).authenticate(a.key)).toBeUndefined();
      expect(new KeyRepo(db).get(a.id)?.revoked_at).toBe(NOW.toISOString());
    } finally {
      db.close();
    }
    const again = await run(['revoke', a.id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`was already revoked at ${NOW.toISOString()}`);
  });

  it('an unknown id: exit 1 with a message', async () => {
    await createJson();
    const { code, stdout, stderr } = await run(['revoke', 'nosuchkey000']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`cca: no API key with id "nosuchkey000" in ${dataDir}. See the ids with: cca keys list\n`);
  });

  it('no id: exit 2', async () => {
    expect((await run(['revoke'])).code).toBe(2);
  });
});

describe('cca keys', () => {
  it('prints its usage without a subcommand, refuses an unknown one', async () => {
    expect((await run([])).stdout).toMatch(/^Usage: cca keys/);
    const bad = await run(['rotate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown keys command "rotate"/);
  });
});

describe('cca keys create: run caps', () => {
  it('stores --max-timeout, --max-turns and --max-budget, and names the flag in errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-keys-caps-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
      expect(
        await keysCommand(
          ['create', '--name', 'capped', '--max-timeout', '60', '--max-turns', '5', '--max-budget', '0.5', '--data-dir', dir],
          {},
          io,
        ),
      ).toBe(0);
      expect(out.join('')).toMatch(/each run: timeout_s <= 60, max_turns <= 5, max_budget_usd <= 0.5/);
      expect(
        await keysCommand(
          [
            'create',
            '--name',
            'small',
            '--max-memory',
            '256',
            '--max-pids',
            '64',
            '--max-cpus',
            '0.5',
            '--max-disk',
            '20',
            '--data-dir',
            dir,
          ],
          {},
          io,
        ),
      ).toBe(0);
      expect(out.join('')).toMatch(/each run: memory <= 256 MB, processes <= 64, CPUs <= 0.5, disk <= 20 MB/);
      expect(await keysCommand(['create', '--name', 'bad', '--max-pids', '2', '--data-dir', dir], {}, io)).toBe(2);
      expect(err.join('')).toMatch(/--max-pids must be a whole number from 16/);
      expect(await keysCommand(['create', '--name', 'bad', '--max-turns', '0', '--data-dir', dir], {}, io)).toBe(2);
      expect(err.join('')).toMatch(/--max-turns must be a whole number/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cca keys: shares of the queue and of storage', () => {
  it('create stores --max-queued and --storage-quota and says so', async () => {
    const { code, stdout } = await run(['create', '--name', 'shared', '--max-queued', '2', '--storage-quota', '512']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/at most 2 queued, 512 MB stored/);
    const db = openDatabase(dataDir);
    try {
      expect(new KeyRepo(db).list()[0]).toMatchObject({ max_queued: 2, storage_quota_mb: 512 });
    } finally {
      db.close();
    }
  });

  it('update changes only the flags given, "default" restores a server default, and the list shows it', async () => {
    const a = await createJson('--max-turns', '5', '--storage-quota', '100');
    const updated = await run(['update', a.id, '--max-queued', '1', '--storage-quota', 'default', '--json']);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: a.id, max_turns: 5, max_queued: 1, storage_quota_mb: null, burst: 20 });
    const text = await run(['update', a.id, '--storage-quota', '0']);
    expect(text.stdout).toMatch(/Updated API key .*at most 1 queued, no storage quota/);
    const row = (await run(['list'])).stdout.split('\n').find((l) => l.startsWith(a.id));
    expect(row).toMatch(/ 1 +0\.0\/none +0\.00\/- +0\.00\/- +-$/);
  });

  it('update refuses bad values naming the flag, no change at all, a limit set to "default", and an unknown id', async () => {
    const a = await createJson();
    const bad = await run(['update', a.id, '--max-queued', '-1']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--max-queued must be a whole number from 0/)]);
    expect((await run(['update', a.id])).stderr).toMatch(/nothing to change/);
    expect((await run(['update', a.id, '--burst', 'default'])).stderr).toMatch(/--burst must be a number/);
    const unknown = await run(['update', 'nope', '--max-queued', '1']);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/no API key with id "nope"/)]);
  });
});

describe('cca keys: budgets', () => {
  /** A run of the key charged `costUsd` today, as a service records it. */
  function charge(keyId: string, id: string, costUsd: number, nowMs = NOW.getTime()): void {
    const db = openDatabase(dataDir);
    try {
      const ledger = new SpendLedger(db);
      ledger.admit({ invocationId: id, keyId, sessionId: 's', requestedUsd: 5, budgets: { dayUsd: null, monthUsd: null } }, nowMs);
      ledger.finish(
        id,
        {
          status: 'succeeded',
          costUsd,
          usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
        NOW,
      );
    } finally {
      db.close();
    }
  }

  it('creates a key with a daily and a monthly budget, says so, and shows what it spent against them', async () => {
    const created = await run(['create', '--name', 'spender', '--budget-usd-day', '5', '--budget-usd-month', '100.5']);
    expect(created.stdout).toMatch(/budget \$5 a day, \$100\.5 a month \(UTC\)/);
    const id = /\(id (\S+)\)/.exec(created.stdout)?.[1] as string;
    charge(id, 'today', 1.25);
    charge(id, 'earlier-this-month', 2, Date.parse('2025-06-01T00:00:00Z') - 1); // May 31: another month
    charge(id, 'this-month', 0.5, Date.parse('2025-06-01T00:00:00Z'));
    const row = (await run(['list'])).stdout.split('\n').find((l) => l.startsWith(id));
    expect(row).toMatch(/ 1\.75\/5\.00 +1\.75\/100\.50 +-$/);
    const shown = JSON.parse((await run(['show', id, '--json'])).stdout);
    expect(shown).toMatchObject({ budget_usd_day: 5, budget_usd_month: 100.5, spent_usd_today: 1.75, spent_usd_month: 1.75 });
    expect((await run(['show', id])).stdout).toMatch(/^budget_usd_day: +5$/m);
  });

  it('update sets, keeps and removes budgets ("none"), and refuses what is not an amount, naming the flag', async () => {
    const a = await createJson('--budget-usd-day', '2');
    const month = JSON.parse((await run(['update', a.id, '--budget-usd-month', '30', '--json'])).stdout);
    expect(month).toMatchObject({ budget_usd_day: 2, budget_usd_month: 30 });
    const cleared = JSON.parse((await run(['update', a.id, '--budget-usd-day', 'none', '--json'])).stdout);
    expect(cleared).toMatchObject({ budget_usd_day: null, budget_usd_month: 30 });
    expect(JSON.parse((await run(['update', a.id, '--budget-usd-day', '0', '--json'])).stdout)).toMatchObject({ budget_usd_day: 0 });
    for (const [value, message] of [
      ['-1', /--budget-usd-day must be a number of US dollars from 0 to 1000000/],
      ['1e9', /--budget-usd-day must be a number of US dollars from 0/],
      ['five', /--budget-usd-day must be a number; got "five"/],
      ['default', /--budget-usd-day must be a number/],
    ] as const) {
      const bad = await run(['update', a.id, '--budget-usd-day', value]);
      expect([bad.code, bad.stderr], value).toEqual([2, expect.stringMatching(message)]);
    }
    expect((await run(['create', '--name', 'x', '--budget-usd-month', 'Infinity'])).code).toBe(2);
  });
});

describe('cca keys --git-credential', () => {
  const TOKEN = 'github_pat_11AAAA_cli-test-token-0123456789';

  async function credentialFor(keyId: string, host: string): Promise<string | undefined> {
    const sealing = new UrlSigner(await loadSigningSecret(dataDir)).deriveKey(GIT_CREDENTIALS_KEY_LABEL);
    const db = openDatabase(dataDir);
    try {
      return new GitCredentialStore(db, sealing).gitCredentialFor(keyId, host);
    } finally {
      db.close();
    }
  }

  it('create and update register tokens per host (sealed with the signing secret), HOST= removes; only hosts are printed', async () => {
    const created = await run([
      'create',
      '--name',
      'bot',
      '--git-credential',
      `GitHub.com=${TOKEN}`,
      '--git-credential',
      'git.example.com:8443=glpat-1',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('git credentials for: git.example.com:8443, github.com');
    expect(created.stdout).not.toContain(TOKEN);
    const id = /id (\w+)\)/.exec(created.stdout)?.[1] as string;
    expect(await credentialFor(id, 'github.com')).toBe(TOKEN);
    expect(await credentialFor(id, 'git.example.com:8443')).toBe('glpat-1');

    const updated = await run(['update', id, '--git-credential', 'github.com=replaced-token', '--git-credential', 'git.example.com:8443=']);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('Git credentials for: github.com.');
    expect(await credentialFor(id, 'github.com')).toBe('replaced-token');
    expect(await credentialFor(id, 'git.example.com:8443')).toBeUndefined();

    const json = await run(['update', id, '--git-credential', 'ghe.example.com=t2', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, git_credential_hosts: ['ghe.example.com', 'github.com'] });
    const listed = await run(['list']);
    expect(listed.stdout.split('\n').find((l) => l.startsWith(id))).toMatch(/ ghe\.example\.com,github\.com$/);
    const shown = await run(['show', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^git_credential_hosts: +ghe\.example\.com, github\.com$/m);
    expect(shown.stdout).toMatch(/^name: +bot$/m);
    const shownJson = JSON.parse((await run(['show', id, '--json'])).stdout) as Record<string, unknown>;
    expect(shownJson).toMatchObject({ id, status: 'active', git_credential_hosts: ['ghe.example.com', 'github.com'] });
    for (const out of [listed.stdout, shown.stdout, json.stdout, JSON.stringify(shownJson)]) {
      expect(out).not.toContain('replaced-token');
      expect(out).not.toContain('t2"');
    }
    expect((await run(['show', 'nope'])).code).toBe(1);
  });

  it('refuses a malformed flag or a bad host without echoing the token, and leaves no key behind', async () => {
    const noEq = await run(['create', '--name', 'bot', '--git-credential', TOKEN]);
    expect(noEq.code).toBe(2);
    expect(noEq.stderr).toMatch(/--git-credential takes HOST=TOKEN/);
    expect(noEq.stderr).not.toContain(TOKEN);
    const badHost = await run(['create', '--name', 'bot', '--git-credential', `https://github.com=${TOKEN}`]);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).not.toContain(TOKEN);
    const badToken = await run(['create', '--name', 'bot', '--git-credential', 'github.com=has space']);
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).not.toContain('has space');
    expect((await run(['create', '--name', 'bot', '--git-credential', 'github.com='])).stderr).toMatch(/use it with cca keys update/);
    expect(JSON.parse((await run(['list', '--json'])).stdout)).toEqual([]);
  });
});

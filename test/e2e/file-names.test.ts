/**
 * Hostile file names and huge file lists, with the real Claude Code binary against the scripted
 * model: the agent's Bash creates every name a Linux file system allows (backslash, newline,
 * control characters, %, ?, #, leading -, bytes that are not UTF-8, ".." once decoded,
 * normalization twins, names and paths too long for a key) and the run still succeeds, each name
 * stored under a reversible key (its download returns its exact bytes, `cca download` restores
 * its exact name) or skipped with a reason. A run of 5,000 files answers with capped lists and
 * totals, pages the rest, and leaves the other key's reads small.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadCommand } from '../../src/cli/entries.js';
import { recordingIo } from '../support/aws-fakes.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

// Each name as Python bytes literals; the file's content is the name's hex, so a download proves
// it is that file's bytes and no other's.
const NAMES: Record<string, string> = {
  backslash: String.raw`b'back\\slash.txt'`,
  newline: String.raw`b'new\nline.txt'`,
  controls: String.raw`b'ctrl\x01\x1b[31m\x7f.txt'`,
  percent: String.raw`b'100%.txt'`,
  query: String.raw`b'q?x#y&z=1.txt'`,
  dash: String.raw`b'-rf'`,
  dotdot: String.raw`b'%2e%2e'`,
  traversal: String.raw`b'..%2F..%2Fetc%2Fpasswd'`,
  invalid: String.raw`b'bad\xff\xfe.bin'`,
  invalidDir: String.raw`b'dir\xc0\xaf/inner.txt'`,
  nfc: String.raw`b'caf\xc3\xa9.txt'`,
  nfd: String.raw`b'cafe\xcc\x81.txt'`,
  long255: String.raw`b'L' * 255`,
  tooLongName: String.raw`b'%' * 100`,
  tooLongPath: String.raw`b'/'.join([b'd' * 200] * 6) + b'/deep.txt'`,
};
const STORED = Object.keys(NAMES).filter((n) => !n.startsWith('tooLong'));

const MAKE_HOSTILE = `/usr/bin/python3 - <<'PY'
import os
names = {${Object.entries(NAMES)
  .map(([k, v]) => `'${k}': ${v}`)
  .join(', ')}}
for name in names.values():
    d = os.path.dirname(name)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(name, 'wb') as f:
        f.write(name.hex().encode())
os.symlink(b'/etc/passwd', b'link\\xff')
os.mkfifo(b'fifo')
PY`;

const MAKE_MANY = `/usr/bin/python3 - <<'PY'
import os
os.makedirs('many', exist_ok=True)
for i in range(5000):
    with open('many/f%05d.txt' % i, 'w') as f:
        f.write(str(i))
PY`;

const responder = scenarios({
  hostile: [
    { content: [toolUse('Bash', { command: MAKE_HOSTILE, description: 'make hostile names' })] },
    { content: [text('Made them.')] },
  ],
  many: [{ content: [toolUse('Bash', { command: MAKE_MANY, description: 'make 5000 files' })] }, { content: [text('Made 5000.')] }],
  small: [{ content: [toolUse('Write', { file_path: 'one.txt', content: 'one\n' })] }, { content: [text('One.')] }],
});

/** The bytes Python wrote: the hex of the name, as written by `MAKE_HOSTILE`. */
const hexOf = (name: Buffer) => name.toString('hex');

describe('hostile file names and huge file lists', () => {
  let svc: TestService;
  let key: string;
  let other: string;

  beforeAll(async () => {
    svc = await startTestService({
      mode: 'serve',
      responder,
      env: { CCA_MAX_FILES: '300', CCA_MAX_LISTED_FILES: '40' },
    });
    key = svc.runtime.keys.create('files', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000, maxConcurrent: 5 }).key;
    other = svc.runtime.keys.create('other', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000, maxConcurrent: 5 }).key;
  });
  afterAll(async () => svc?.close());

  async function call(apiKey: string, pathname: string, body?: unknown): Promise<{ status: number; body: any; bytes: number }> {
    const res = await fetch(`${svc.url}${pathname}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const raw = await res.text();
    return { status: res.status, body: JSON.parse(raw), bytes: Buffer.byteLength(raw) };
  }

  it('stores every name a Linux file system allows, or skips it with a reason, and the run succeeds', async () => {
    const res = await call(key, '/invoke', { prompt: '[[scenario:hostile]] go', permission_mode: 'acceptAll' });
    expect(res.status).toBe(200);
    const out = res.body.output;
    expect(out).toMatchObject({ success: true, result: 'Made them.' });
    const meta = out.metadata;
    expect(meta.failed_uploads).toEqual([]);
    expect(meta.files_truncated).toBe(false);

    // Every stored name: its key decodes to the exact bytes, and its link returns exactly its content.
    const byContent = new Map<string, any>();
    for (const f of meta.uploaded_files) {
      const body = Buffer.from(await (await fetch(f.download_url)).arrayBuffer());
      byContent.set(body.toString(), f);
      expect(f.key.startsWith(`${meta.storage_prefix}/`)).toBe(true);
      expect(f.key).not.toMatch(/[\\\u0000-\u001f\u007f]/);
    }
    const expected = await namesAsBytes();
    for (const label of STORED) {
      const name = expected[label] as Buffer;
      const file = byContent.get(hexOf(name));
      expect(file, `${label} is stored`).toBeDefined();
      expect(file.size).toBe(hexOf(name).length);
    }
    expect(byContent.get(hexOf(expected.backslash as Buffer)).key).toBe(`${meta.storage_prefix}/back%5Cslash.txt`);
    expect(byContent.get(hexOf(expected.invalid as Buffer)).key).toBe(`${meta.storage_prefix}/bad%FF%FE.bin`);
    expect(byContent.get(hexOf(expected.invalid as Buffer)).file_name).toBe('bad\uFFFD\uFFFD.bin');
    expect(byContent.get(hexOf(expected.newline as Buffer)).file_name).toBe('new\nline.txt');
    expect(byContent.get(hexOf(expected.dotdot as Buffer)).key).toBe(`${meta.storage_prefix}/%252e%252e`);
    // Normalization twins stay two files.
    expect(byContent.get(hexOf(expected.nfc as Buffer)).key).not.toBe(byContent.get(hexOf(expected.nfd as Buffer)).key);

    // The rest are skipped with a reason, nothing vanishes.
    const skipped = new Map<string, string>(meta.skipped_files.map((s: any) => [s.file_name, s.reason]));
    expect(skipped.get('%'.repeat(100))).toBe('name_too_long');
    expect(skipped.get(`${Array(6).fill('d'.repeat(200)).join('/')}/deep.txt`)).toBe('name_too_long');
    expect(skipped.get('link\uFFFD')).toBe('symlink');
    expect(skipped.get('fifo')).toBe('special_file');
    // One Bash run made 15 names + a link + a FIFO: all accounted for.
    expect(meta.uploaded_files_total + meta.skipped_files_total).toBe(Object.keys(NAMES).length + 2);
    expect(meta.skipped_files_by_reason).toEqual({ name_too_long: 2, symlink: 1, special_file: 1 });

    // cca download gives every stored file back under the exact name the run gave it.
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-names-'));
    try {
      const io = recordingIo();
      const folder = meta.storage_prefix.slice('outputs/'.length);
      expect(await downloadCommand([folder, '--data-dir', svc.dataDir, '--storage', 'local'], {}, io, { cwd }), io.err).toBe(0);
      const base = Buffer.from(path.join(cwd, 'downloads', folder));
      for (const label of STORED) {
        const name = expected[label] as Buffer;
        const content = fs.readFileSync(Buffer.concat([base, Buffer.from('/'), name]));
        expect(content.toString(), label).toBe(hexOf(name));
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);

  it('answers a run of 5,000 files with capped lists and totals, pages the rest, and keeps other reads small', async () => {
    const res = await call(key, '/invoke', { prompt: '[[scenario:many]] go', permission_mode: 'acceptAll' });
    expect(res.status).toBe(200);
    const { output } = res.body;
    expect(output).toMatchObject({ success: true, result: 'Made 5000.' });
    const meta = output.metadata;
    expect(meta).toMatchObject({
      uploaded_files_total: 300,
      skipped_files_total: 4700,
      failed_uploads_total: 0,
      skipped_files_by_reason: { too_many_files: 4700 },
      files_truncated: true,
    });
    expect(meta.uploaded_files).toHaveLength(40);
    expect(meta.skipped_files).toHaveLength(40);
    expect(meta.skipped_files[0]).toMatchObject({ file_name: 'many/f00300.txt', reason: 'too_many_files' });
    expect(res.bytes).toBeLessThan(100_000);

    // The record holds the capped output; the full lists are rows of their own.
    const db = new Database(path.join(svc.dataDir, 'cca.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT length(output_json) AS n FROM invocations WHERE id = ?').get(output.invocation_id) as { n: number };
      expect(row.n).toBeLessThan(100_000);
      const rows = db
        .prepare('SELECT kind, count(*) AS n FROM invocation_files WHERE invocation_id = ? GROUP BY kind ORDER BY kind')
        .all(output.invocation_id);
      expect(rows).toEqual([
        { kind: 'skipped', n: 4700 },
        { kind: 'uploaded', n: 300 },
      ]);
    } finally {
      db.close();
    }

    // Every stored file and every skipped one, a page at a time, each once.
    const sid = output.session_id;
    const all = async (kind: string, limit: number) => {
      const seen: any[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q = new URLSearchParams({ invocation_id: output.invocation_id, kind, limit: String(limit), ...(cursor ? { cursor } : {}) });
        const page = await call(key, `/sessions/${sid}/files?${q}`);
        expect(page.status).toBe(200);
        expect(page.body.files.length).toBeLessThanOrEqual(limit);
        seen.push(...page.body.files);
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor !== null);
      return { seen, pages };
    };
    const stored = await all('uploaded', 128);
    expect(stored.pages).toBe(3);
    expect(new Set(stored.seen.map((f) => f.key)).size).toBe(300);
    expect(stored.seen.map((f) => f.file_name)).toEqual(Array.from({ length: 300 }, (_, i) => `many/f${String(i).padStart(5, '0')}.txt`));
    expect(await (await fetch(stored.seen[299].download_url)).text()).toBe('299');
    const skipped = await all('skipped', 1000);
    expect(skipped.seen).toHaveLength(4700);
    expect(skipped.seen.every((s) => s.reason === 'too_many_files' && s.invocation_id === output.invocation_id)).toBe(true);

    // The session's own read shows the first entries and the totals, not 5,000 entries.
    const detail = await call(key, `/sessions/${sid}?files_limit=10`);
    expect(detail.status).toBe(200);
    const inv = detail.body.invocations.find((i: any) => i.invocation_id === output.invocation_id);
    expect(inv).toMatchObject({ files_total: 300, skipped_files_total: 4700, files_truncated: true });
    expect(inv.files).toHaveLength(10);
    expect(inv.skipped_files).toHaveLength(10);
    expect((await call(key, `/sessions/${sid}`)).bytes).toBeLessThan(200_000);

    // Another key reads its own session as usual, and cannot page this one.
    const mine = await call(other, '/invoke', { prompt: '[[scenario:small]] go' });
    expect(mine.body.output.metadata).toMatchObject({ uploaded_files_total: 1, files_truncated: false });
    const theirs = await call(other, `/sessions/${mine.body.output.session_id}`);
    expect(theirs.status).toBe(200);
    expect(theirs.body.invocations[0].files.map((f: any) => f.file_name)).toEqual(['one.txt']);
    expect((await call(other, `/sessions/${sid}/files`)).status).toBe(404);
    expect((await call(key, `/sessions/${sid}/files?cursor=nope`)).status).toBe(400);
    // Cursors are opaque: no row id (which would count every key's files) to read or forge.
    const first = await call(key, `/sessions/${sid}/files?kind=skipped&limit=10`);
    expect(Buffer.from(first.body.next_cursor, 'base64url').toString('latin1')).not.toMatch(/\d{2}/);
    const forged = Buffer.from('f:1').toString('base64url');
    expect((await call(key, `/sessions/${sid}/files?cursor=${forged}`)).status).toBe(400);
    expect((await call(key, `/sessions/${sid}/files?invocation_id=${mine.body.output.invocation_id}`)).status).toBe(404);
  }, 180_000);
});

/** The names `MAKE_HOSTILE` creates, as bytes, by label (evaluated by the same Python). */
async function namesAsBytes(): Promise<Record<string, Buffer>> {
  const { execFileSync } = await import('node:child_process');
  const script = `import sys\nnames = {${Object.entries(NAMES)
    .map(([k, v]) => `'${k}': ${v}`)
    .join(', ')}}\nfor k, v in names.items():\n    print(k, v.hex())`;
  const lines = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
  return Object.fromEntries(lines.map((l) => l.split(' ')).map(([k, hex]) => [k as string, Buffer.from(hex as string, 'hex')]));
}

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { DurableSessions, type SessionTrees } from './durable-sessions.js';
import { SessionLeaseHeldError, SessionStateDamagedError } from './errors.js';
import { blobKey, encodeManifest, headKey, projectFolder, sha256, type Head, type Manifest } from './manifest.js';
import { DirObjects, S3Objects, type ObjectStore } from './objects.js';
import { SaveConflictError } from './save.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

async function treesUnder(dir: string, sessionId: string): Promise<SessionTrees> {
  const root = path.join(dir, 'sessions', sessionId);
  const trees = { root, workspace: path.join(root, 'workspace'), home: path.join(root, 'home'), git: path.join(root, 'git') };
  for (const d of [trees.workspace, trees.home, trees.git]) await fs.mkdir(d, { recursive: true });
  return trees;
}

function durable(objects: ObjectStore, worker: string, now?: () => number): DurableSessions {
  return new DurableSessions({ objects, leaseMs: 30_000, maxEntries: 100_000, maxBytes: 2 ** 30, worker, logger, ...(now ? { now } : {}) });
}

const fields = (invocationId: string) => ({
  owner: null,
  created_at: new Date().toISOString(),
  claude_session_id: 'c0ffee00-0000-4000-8000-000000000000',
  last_event_seq: 7,
  invocation_id: invocationId,
  checkpoint: false,
  repository: null,
});

async function tmp(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'cca-durable-'));
}

describe('durable session state over S3 (s3rver)', () => {
  it('saves a session on one worker and restores it on another: files, modes, links, empty dirs, odd names, the transcript under the new folder', async () => {
    const objects = new S3Objects(s3.client(), s3.bucket, 'p1');
    const id = 'sess-one';
    const a = await treesUnder(await tmp(), id);
    await fs.mkdir(path.join(a.workspace, 'src/empty'), { recursive: true });
    await fs.writeFile(path.join(a.workspace, 'src/app.py'), 'print("hi")\n');
    await fs.writeFile(path.join(a.workspace, 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
    await fs.symlink('src/app.py', path.join(a.workspace, 'link'));
    await fs.writeFile(Buffer.concat([Buffer.from(path.join(a.workspace, 'bad-')), Buffer.from([0xff, 0xfe])]), 'bytes');
    await fs.writeFile(path.join(a.workspace, 'big.bin'), Buffer.alloc(9 * 2 ** 20, 7)); // past the in-memory path
    const folderA = projectFolder(a.workspace) as string;
    await fs.mkdir(path.join(a.home, '.claude/projects', folderA), { recursive: true });
    await fs.writeFile(
      path.join(a.home, '.claude/projects', folderA, 'c0ffee.jsonl'),
      '{"type":"user","fact":"the code word is ananas"}\n',
    );
    await run('git', ['init', '-q', '--bare', a.git]);

    const workerA = durable(objects, 'A');
    const claimA = await workerA.claim(id, 'inv-1');
    expect(claimA.head).toBeUndefined();
    const saved = await workerA.save(claimA, a, fields('inv-1'));
    await claimA.lease.release();
    expect(saved.head.generation).toBe(1);
    expect(saved.uploadedFiles).toBe(saved.files - 0); // all new
    expect(saved.files).toBeGreaterThanOrEqual(6);

    const b = await treesUnder(await tmp(), id);
    const workerB = durable(objects, 'B');
    const claimB = await workerB.claim(id, 'inv-2');
    expect(claimB.head?.generation).toBe(1);
    expect(claimB.head?.last_event_seq).toBe(7);
    expect(await workerB.needsRestore(claimB, b)).toBe(true);
    const restored = await workerB.restore(claimB, b);
    expect(restored.fetchedFiles).toBe(saved.files);
    expect(await fs.readFile(path.join(b.workspace, 'src/app.py'), 'utf8')).toBe('print("hi")\n');
    expect((await fs.stat(path.join(b.workspace, 'run.sh'))).mode & 0o777).toBe(0o755);
    expect(await fs.readlink(path.join(b.workspace, 'link'))).toBe('src/app.py');
    expect((await fs.stat(path.join(b.workspace, 'src/empty'))).isDirectory()).toBe(true);
    expect((await fs.readFile(path.join(b.workspace, 'big.bin'))).length).toBe(9 * 2 ** 20);
    const odd = Buffer.concat([Buffer.from(path.join(b.workspace, 'bad-')), Buffer.from([0xff, 0xfe])]);
    expect(await fs.readFile(odd, 'utf8')).toBe('bytes');
    // Claude Code looks for the conversation under the folder named after this worker's workspace.
    const folderB = projectFolder(b.workspace) as string;
    expect(folderB).not.toBe(folderA);
    expect(await fs.readFile(path.join(b.home, '.claude/projects', folderB, 'c0ffee.jsonl'), 'utf8')).toContain('ananas');
    await expect(fs.access(path.join(b.home, '.claude/projects', folderA))).rejects.toThrow();
    // The private git record is a git dir again.
    await run('git', ['--git-dir', b.git, 'rev-parse', '--is-bare-repository']);
    expect(await workerB.needsRestore(claimB, b)).toBe(false);

    // B changes two files and removes one; only the changed contents go up.
    await fs.writeFile(path.join(b.workspace, 'src/app.py'), 'print("changed")\n');
    await fs.writeFile(path.join(b.workspace, 'new.txt'), 'new\n');
    await fs.rm(path.join(b.workspace, 'run.sh'));
    const saved2 = await workerB.save(claimB, b, fields('inv-2'));
    await claimB.lease.release();
    expect(saved2.head.generation).toBe(2);
    expect(saved2.uploadedFiles).toBe(2);

    // A's copy is one generation behind: it fetches only what differs, and drops what is gone.
    const claimA2 = await workerA.claim(id, 'inv-3');
    expect(await workerA.needsRestore(claimA2, a)).toBe(true);
    const again = await workerA.restore(claimA2, a);
    await claimA2.lease.release();
    expect(again.fetchedFiles).toBe(2);
    expect(await fs.readFile(path.join(a.workspace, 'src/app.py'), 'utf8')).toBe('print("changed")\n');
    await expect(fs.access(path.join(a.workspace, 'run.sh'))).rejects.toThrow();
    expect(await fs.readFile(path.join(a.workspace, 'new.txt'), 'utf8')).toBe('new\n');
  }, 60_000);

  it('refuses a second holder while the lease lives, and lets a new one in once it has expired', async () => {
    const objects = new S3Objects(s3.client(), s3.bucket, 'p2');
    let clock = Date.parse('2026-12-04T10:00:00Z');
    const a = durable(objects, 'A', () => clock);
    const b = durable(objects, 'B', () => clock);
    const held = await a.claim('s-lease', 'inv-a');
    held.lease.release = async () => undefined; // A dies: it never gives the lease back.
    const err = await b.claim('s-lease', 'inv-b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionLeaseHeldError);
    expect((err as SessionLeaseHeldError).status).toBe(409);
    clock += 31_000;
    const taken = await b.claim('s-lease', 'inv-b');
    // A's renewal now finds the lease taken.
    expect(await held.lease.renew()).toBe(false);
    expect(held.lease.lost).toBe(true);
    await taken.lease.release();
    const next = await a.claim('s-lease', 'inv-c');
    await next.lease.release();
  });

  it('lets only one of two concurrent claims win', async () => {
    const objects = new S3Objects(s3.client(), s3.bucket, 'p3');
    const results = await Promise.allSettled([durable(objects, 'A').claim('s-race', 'x'), durable(objects, 'B').claim('s-race', 'y')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(SessionLeaseHeldError);
  });

  it('does not move the head over a save it did not start from', async () => {
    const objects = new S3Objects(s3.client(), s3.bucket, 'p4');
    const t = await treesUnder(await tmp(), 's-cas');
    await fs.writeFile(path.join(t.workspace, 'f'), 'x');
    const w = durable(objects, 'A');
    const claim = await w.claim('s-cas', 'i1');
    const stale = { ...claim };
    await w.save(claim, t, fields('i1'));
    await expect(w.save(stale, t, fields('i1'))).rejects.toBeInstanceOf(SaveConflictError);
    await claim.lease.release();
  });

  it('reports a damaged transcript, a damaged manifest and a manifest that writes through a link, and restores nothing of them', async () => {
    const objects = new S3Objects(s3.client(), s3.bucket, 'p5');
    const id = 's-damaged';
    const a = await treesUnder(await tmp(), id);
    const folder = projectFolder(a.workspace) as string;
    await fs.mkdir(path.join(a.home, '.claude/projects', folder), { recursive: true });
    const transcript = '{"type":"user"}\n';
    await fs.writeFile(path.join(a.home, '.claude/projects', folder, 'abc.jsonl'), transcript);
    const w = durable(objects, 'A');
    const claim = await w.claim(id, 'i1');
    await w.save(claim, a, fields('i1'));
    await claim.lease.release();
    await objects.put(blobKey(id, sha256(Buffer.from(transcript))), Buffer.from('{"type":"user","tampered":true}\n'));

    const b = await treesUnder(await tmp(), id);
    const other = durable(objects, 'B');
    const claimB = await other.claim(id, 'i2');
    const err = await other.restore(claimB, b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionStateDamagedError);
    expect((err as Error).message).toMatch(/conversation transcript ".*abc\.jsonl" does not match its checksum/);
    // Half a restore is not a generation: the next attempt restores again.
    expect(await other.needsRestore(claimB, b)).toBe(true);

    // A manifest whose file sits under a link: refused before anything is written through it.
    const evil: Manifest = {
      version: 1,
      cwd: b.workspace,
      truncated: false,
      trees: {
        workspace: [
          { p: 'out', k: 'l', m: 0o777, t: '/etc' },
          { p: 'out/passwd', k: 'f', m: 0o644, h: sha256(Buffer.from('x')), n: 1 },
        ],
        home: [],
        git: [],
      },
    };
    const body = encodeManifest(evil);
    await objects.put('sessions/s-damaged/saved/manifests/evil.json.gz', body);
    const head: Head = {
      ...(claimB.head as Head),
      manifest: { key: 'sessions/s-damaged/saved/manifests/evil.json.gz', sha256: sha256(body), bytes: body.length },
    };
    const err2 = await other.restore({ ...claimB, head }, b).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/not inside a saved directory/);
    // And a manifest that does not match the head's checksum.
    const err3 = await other
      .restore({ ...claimB, head: { ...head, manifest: { ...head.manifest, sha256: '0'.repeat(64) } } }, b)
      .catch((e: unknown) => e);
    expect((err3 as Error).message).toMatch(/does not match its checksum/);
    // A head that is not one is reported at claim time.
    await claimB.lease.release();
    await objects.put(headKey(id), Buffer.from('{"version":1}'));
    await expect(other.claim(id, 'i3')).rejects.toThrow(/head record is malformed/);
  });
});

describe('durable session state in a directory', () => {
  it('saves, restores and leases through the same checks', async () => {
    const objects = new DirObjects(await tmp());
    const a = await treesUnder(await tmp(), 's-dir');
    await fs.writeFile(path.join(a.workspace, 'f.txt'), 'local');
    const w = durable(objects, 'A');
    const claim = await w.claim('s-dir', 'i1');
    await expect(durable(objects, 'B').claim('s-dir', 'i2')).rejects.toBeInstanceOf(SessionLeaseHeldError);
    await w.save(claim, a, fields('i1'));
    await claim.lease.release();
    const b = await treesUnder(await tmp(), 's-dir');
    const wb = durable(objects, 'B');
    const claimB = await wb.claim('s-dir', 'i2');
    await wb.restore(claimB, b);
    expect(await fs.readFile(path.join(b.workspace, 'f.txt'), 'utf8')).toBe('local');
    await claimB.lease.release();
  });
});

/**
 * A session store that was tampered with, and trees a hostile run left: each case is refused or
 * made harmless before anything is written outside the session's trees (found by a hostile review).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DurableSessions, type SessionTrees } from './durable-sessions.js';
import { SessionStateDamagedError } from './errors.js';
import { encodeManifest, headKey, sha256, type Head, type Manifest } from './manifest.js';
import { DirObjects } from './objects.js';
import { saveSession } from './save.js';
import { EMPTY_INDEX } from './local-index.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'cca-hostile-store-'));

async function treesFor(id: string): Promise<SessionTrees> {
  const root = path.join(await tmp(), 'sessions', id);
  return { root, workspace: path.join(root, 'workspace'), home: path.join(root, 'home'), git: path.join(root, 'git') };
}

function worker(objects: DirObjects, opts: { maxEntries?: number; maxBytes?: number } = {}): DurableSessions {
  return new DurableSessions({
    objects,
    leaseMs: 30_000,
    maxEntries: opts.maxEntries ?? 1000,
    maxBytes: opts.maxBytes ?? 2 ** 30,
    worker: 'W',
    logger,
  });
}

/** Writes `manifest` (or raw bytes) as the session's next generation, behind a head that checks out. */
async function publish(objects: DirObjects, id: string, generation: number, manifest: Manifest | Buffer, key?: string): Promise<void> {
  const body = Buffer.isBuffer(manifest) ? manifest : encodeManifest(manifest);
  const manifestKey = key ?? `sessions/${id}/saved/manifests/${String(generation).padStart(8, '0')}-0000abcd.json.gz`;
  await objects.put(manifestKey, body);
  const old = await objects.get(headKey(id));
  const head: Head = {
    version: 1,
    session_id: id,
    generation,
    manifest: { key: manifestKey, sha256: sha256(body), bytes: body.length },
    saved_at: new Date().toISOString(),
    worker: 'x',
    owner: null,
    created_at: new Date().toISOString(),
    claude_session_id: null,
    last_event_seq: 0,
    invocation_id: 'i',
    checkpoint: false,
    repository: null,
  };
  await objects.put(headKey(id), Buffer.from(JSON.stringify(head)), old ? { ifMatch: old.etag } : { ifNoneMatch: '*' });
}

/**
 * A checkpoint as a run's neighbour takes it: no local index (every file read again, as in a first
 * save) on top of the previous save, with `maxBytes` for the workspace and home.
 */
function checkpoint(
  objects: DirObjects,
  sessionId: string,
  dirs: SessionTrees,
  previous: { head: Head; etag: string } | undefined,
  maxBytes: number,
) {
  const fields = {
    owner: null,
    created_at: 'x',
    claude_session_id: null,
    last_event_seq: 0,
    invocation_id: 'i',
    checkpoint: true,
    repository: null,
    worker: 'w',
  };
  return saveSession({
    objects,
    sessionId,
    dirs,
    fields,
    previous,
    knownBlobs: new Set(),
    index: EMPTY_INDEX,
    maxEntries: 1000,
    maxBytes,
    maxGitBytes: 2 ** 30,
  });
}

async function restoreOnce(w: DurableSessions, id: string, trees: SessionTrees): Promise<unknown> {
  const claim = await w.claim(id, `i-${Math.random()}`);
  try {
    return await w.restore(claim, trees).then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    await claim.lease.release();
  }
}

describe('restoring from a tampered store', () => {
  it('refuses a manifest that lists a path twice (a directory, then a link out), and chmods nothing outside', async () => {
    const outside = path.join(await tmp(), 'host-file');
    await fs.writeFile(outside, "not the session's", { mode: 0o600 });
    const objects = new DirObjects(await tmp());
    const trees = await treesFor('s1');
    const w = worker(objects);
    await publish(objects, 's1', 1, {
      version: 1,
      cwd: trees.workspace,
      truncated: false,
      trees: { workspace: [{ p: 'x', k: 'l', m: 0o777, t: outside }], home: [], git: [] },
    });
    expect(await restoreOnce(w, 's1', trees)).toBeUndefined();
    await publish(objects, 's1', 2, {
      version: 1,
      cwd: trees.workspace,
      truncated: false,
      trees: {
        workspace: [
          { p: 'x', k: 'd', m: 0o4777 },
          { p: 'x', k: 'l', m: 0o777, t: outside },
        ],
        home: [],
        git: [],
      },
    });
    const err = await restoreOnce(w, 's1', trees);
    expect(err).toBeInstanceOf(SessionStateDamagedError);
    expect((err as Error).message).toMatch(/listed twice/);
    expect((await fs.stat(outside)).mode & 0o7777).toBe(0o600);
  });

  it('never restores setuid, setgid or sticky bits', async () => {
    const objects = new DirObjects(await tmp());
    const trees = await treesFor('s2');
    const body = Buffer.from('#!/bin/sh\nid\n');
    await objects.put(`sessions/s2/saved/blobs/${sha256(body)}`, body);
    await publish(objects, 's2', 1, {
      version: 1,
      cwd: trees.workspace,
      truncated: false,
      trees: {
        workspace: [
          { p: 'd', k: 'd', m: 0o1777 },
          { p: 'd/tool', k: 'f', m: 0o6755, h: sha256(body), n: body.length },
        ],
        home: [],
        git: [],
      },
    });
    expect(await restoreOnce(worker(objects), 's2', trees)).toBeUndefined();
    expect((await fs.stat(path.join(trees.workspace, 'd/tool'))).mode & 0o7777).toBe(0o755);
    expect((await fs.stat(path.join(trees.workspace, 'd'))).mode & 0o7777).toBe(0o777);
  });

  it("never takes the git record's config, hooks or alternates from the store", async () => {
    const objects = new DirObjects(await tmp());
    const trees = await treesFor('s3');
    const evil = Buffer.from('[filter "x"]\n\tclean = touch /tmp/pwned\n');
    const hook = Buffer.from('#!/bin/sh\ntouch /tmp/pwned\n');
    const alternates = Buffer.from('/etc\n');
    const head = Buffer.from('ref: refs/cca/head\n');
    for (const b of [evil, hook, alternates, head]) await objects.put(`sessions/s3/saved/blobs/${sha256(b)}`, b);
    const file = (p: string, b: Buffer) => ({ p, k: 'f' as const, m: 0o644, h: sha256(b), n: b.length });
    await publish(objects, 's3', 1, {
      version: 1,
      cwd: trees.workspace,
      truncated: false,
      trees: {
        workspace: [],
        home: [],
        git: [
          file('HEAD', head),
          file('config', evil),
          { p: 'hooks', k: 'd', m: 0o755 },
          file('hooks/pre-commit', hook),
          { p: 'objects', k: 'd', m: 0o755 },
          { p: 'objects/info', k: 'd', m: 0o755 },
          file('objects/info/alternates', alternates),
        ],
      },
    });
    expect(await restoreOnce(worker(objects), 's3', trees)).toBeUndefined();
    expect(await fs.readFile(path.join(trees.git, 'HEAD'), 'utf8')).toBe('ref: refs/cca/head\n');
    for (const p of ['config', 'hooks', 'objects/info']) await expect(fs.access(path.join(trees.git, p))).rejects.toThrow();
  });

  it("refuses a head that names a manifest outside its own session's folder", async () => {
    const objects = new DirObjects(await tmp());
    const other = await treesFor('victim');
    await publish(objects, 'victim', 1, {
      version: 1,
      cwd: other.workspace,
      truncated: false,
      trees: { workspace: [], home: [], git: [] },
    });
    const victim = JSON.parse((await objects.get(headKey('victim')))!.body.toString()) as Head;
    const forged: Head = {
      ...victim,
      session_id: 's4',
      manifest: {
        ...victim.manifest,
        key: `sessions/s4/saved/manifests/../../../victim/saved/manifests/${path.basename(victim.manifest.key)}`,
      },
    };
    await objects.put(headKey('s4'), Buffer.from(JSON.stringify(forged)));
    await expect(worker(objects).claim('s4', 'i')).rejects.toThrow(/head record is malformed/);
  });

  it('refuses a gzip bomb as a manifest without unzipping it whole', async () => {
    const objects = new DirObjects(await tmp());
    const trees = await treesFor('s5');
    const bomb = gzipSync(Buffer.alloc(600 * 2 ** 20, 0x20), { level: 9 });
    await publish(objects, 's5', 1, bomb);
    const err = await restoreOnce(worker(objects), 's5', trees);
    expect(err).toBeInstanceOf(SessionStateDamagedError);
  });
});

describe('saving what a hostile run left', () => {
  it('does not save a tree over its bounds (entries, or bytes of sparse files), and leaves the head where it was', async () => {
    const objects = new DirObjects(await tmp());
    const trees = await treesFor('s6');
    for (const d of [trees.workspace, trees.home, trees.git]) await fs.mkdir(d, { recursive: true });
    const sparse = await fs.open(path.join(trees.workspace, 'sparse.bin'), 'w');
    await sparse.truncate(64 * 2 ** 20); // 64 MiB that take no disk
    await sparse.close();
    const fields = {
      owner: null,
      created_at: 'x',
      claude_session_id: null,
      last_event_seq: 0,
      invocation_id: 'i',
      checkpoint: false,
      repository: null,
    };
    const small = worker(objects, { maxBytes: 32 * 2 ** 20 });
    const claim = await small.claim('s6', 'i');
    await expect(small.save(claim, trees, fields)).rejects.toThrow(/more than 32 MiB of files/);
    for (let i = 0; i < 20; i++) await fs.writeFile(path.join(trees.workspace, `f${i}`), 'x');
    await fs.rm(path.join(trees.workspace, 'sparse.bin'));
    const narrow = worker(objects, { maxEntries: 10 });
    await expect(narrow.save(claim, trees, fields)).rejects.toThrow(/more than 10 entries/);
    await claim.lease.release();
    expect(await objects.get(headKey('s6'))).toBeUndefined();
  });

  it('reads nothing through a directory swapped for a link: the walk and the reads open each directory without following links', async () => {
    const objects = new DirObjects(await tmp());
    const trees = await treesFor('s7');
    for (const d of [trees.workspace, trees.home, trees.git]) await fs.mkdir(d, { recursive: true });
    const secretDir = await tmp();
    const SECRET = 'TOPSECRET signing key\n';
    await fs.writeFile(path.join(secretDir, 'secret'), SECRET);
    await fs.mkdir(path.join(trees.workspace, 'd'));
    await fs.writeFile(path.join(trees.workspace, 'd', 'secret'), 'mine');
    await fs.symlink(secretDir, path.join(trees.workspace, 'lnk'));
    // Entries that widen the window between the look at d/ and the reads in it.
    for (let i = 0; i < 50; i++) await fs.writeFile(path.join(trees.workspace, `pad${i}`), `p${i}`);
    // d/ and the link swapped continuously while the saves run, as a run beside a checkpoint could.
    const swapper = run('python3', [
      '-c',
      `import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = ${JSON.stringify(path.join(trees.workspace, 'd'))}.encode(), ${JSON.stringify(path.join(trees.workspace, 'lnk'))}.encode()
end = time.time() + 6
while time.time() < end:
    libc.renameat2(-100, a, -100, b, 2)`,
    ]);
    let previous: { head: Head; etag: string } | undefined;
    for (let round = 0; round < 150; round++) {
      const saved = await checkpoint(objects, 's7', trees, previous, 2 ** 30);
      previous = { head: saved.head, etag: saved.etag };
    }
    await swapper;
    expect(await objects.get(`sessions/s7/saved/blobs/${sha256(Buffer.from(SECRET))}`)).toBeUndefined();
  }, 60_000);

  it('never reads more of a file than the walk saw, however the run grows it meanwhile (a sparse file made huge)', async () => {
    const objects = new DirObjects(await tmp());
    const trees = await treesFor('s8');
    for (const d of [trees.workspace, trees.home, trees.git]) await fs.mkdir(d, { recursive: true });
    const file = path.join(trees.workspace, 'grows.bin');
    await fs.writeFile(file, 'tiny');
    for (let i = 0; i < 30; i++) await fs.writeFile(path.join(trees.workspace, `pad${i}`), `p${i}`);
    // Grown to 200 MiB (sparse) and shrunk back, over and over, while the saves run.
    const grower = run('python3', [
      '-c',
      `import os, time
end = time.time() + 5
while time.time() < end:
    os.truncate(${JSON.stringify(file)}, 200 * 1024 * 1024)
    os.truncate(${JSON.stringify(file)}, 4)`,
    ]);
    let previous: { head: Head; etag: string } | undefined;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        const saved = await checkpoint(objects, 's8', trees, previous, 32 * 2 ** 20);
        previous = { head: saved.head, etag: saved.etag };
      } catch (err) {
        // The walk saw it at 200 MiB: over the bound, nothing saved this round.
        expect((err as Error).message).toMatch(/more than 32 MiB/);
      }
    }
    await grower;
    const sizes = await Promise.all(
      (await objects.list('sessions/s8/saved/blobs/')).map(async (k) => (await objects.get(k))?.body.length ?? 0),
    );
    expect(previous).toBeDefined();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
  }, 60_000);
});

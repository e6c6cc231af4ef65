/**
 * Restoring a session in place: the local copy is brought to the saved generation by fetching only
 * the files whose content differs (by the local index's hashes), removing what the save does not
 * have, and creating what it has. Every blob is checked against its hash before it takes its place;
 * a missing or damaged part stops the restore with SessionStateDamagedError, and the local copy is
 * then marked as no generation, so the next attempt restores again.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bytesOfName, displayName, fsPath } from '../workspace/index.js';
import { SessionStateDamagedError } from './errors.js';
import type { LocalIndex } from './local-index.js';
import {
  blobKey,
  decodeManifest,
  projectFolder,
  sha256,
  TREES,
  type Head,
  isStateEntry,
  keptMode,
  type Manifest,
  type ManifestEntry,
  type TreeName,
} from './manifest.js';
import type { ObjectStore } from './objects.js';
import { forEachLimited } from './pool.js';
import { stampOf, walkTree, type TreeEntry } from './tree.js';

// Requests in flight: S3 answers each in tens of milliseconds and takes many at once (the SDK's
// default pool has 50 sockets); a save or restore of many small files is bound by round trips.
const PARALLEL = 48;

export interface RestoreInput {
  objects: ObjectStore;
  sessionId: string;
  dirs: Record<TreeName, string> & { root: string };
  head: Head;
  index: LocalIndex;
  maxEntries: number;
}

export interface RestoreResult {
  index: LocalIndex;
  /** The blobs the restored manifest references (all in the store). */
  blobs: Set<string>;
  files: number;
  fetchedFiles: number;
  fetchedBytes: number;
}

/**
 * Reads and checks the manifest a head names.
 * @example const manifest = await loadManifest(objects, head);
 */
export async function loadManifest(objects: ObjectStore, head: Head): Promise<Manifest> {
  const obj = await objects.get(head.manifest.key);
  if (obj === undefined) throw new SessionStateDamagedError(head.session_id, `its manifest ${head.manifest.key} is missing`);
  if (sha256(obj.body) !== head.manifest.sha256) {
    throw new SessionStateDamagedError(head.session_id, `its manifest ${head.manifest.key} does not match its checksum`);
  }
  const manifest = decodeManifest(obj.body);
  if (typeof manifest === 'string') throw new SessionStateDamagedError(head.session_id, manifest);
  return manifest;
}

/**
 * Brings the session's local trees to the saved generation `head`.
 * @example const restored = await restoreSession({ objects, sessionId, dirs, head, index, maxEntries });
 */
export async function restoreSession(input: RestoreInput): Promise<RestoreResult> {
  const manifest = await loadManifest(input.objects, input.head);
  const trees = remapTranscripts(manifest, input.dirs.workspace);
  // Staging beside the trees (a rename into place must not cross file systems); a restore that died
  // left its own behind.
  for (const name of await fs.readdir(input.dirs.root).catch(() => [] as string[])) {
    if (name.startsWith('restore-staging-')) await fs.rm(path.join(input.dirs.root, name), { recursive: true, force: true });
  }
  const staging = path.join(input.dirs.root, `restore-staging-${randomUUID()}`);
  await fs.mkdir(staging, { recursive: true, mode: 0o700 });
  const index: LocalIndex = { generation: input.head.generation, clean: true, hashes: {} };
  const blobs = new Set<string>();
  let files = 0;
  let fetchedFiles = 0;
  let fetchedBytes = 0;
  try {
    for (const tree of TREES) {
      const r = await restoreTree(input, tree, trees[tree], staging);
      index.hashes[tree] = r.hashes;
      for (const e of trees[tree]) if (e.k === 'f') blobs.add(e.h as string);
      files += r.files;
      fetchedFiles += r.fetchedFiles;
      fetchedBytes += r.fetchedBytes;
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return { index, blobs, files, fetchedFiles, fetchedBytes };
}

/**
 * Claude Code keeps a conversation under `~/.claude/projects/<folder named after the working
 * directory>/`: a session saved on a worker whose workspace path differs is moved to this worker's
 * folder, where Claude Code keeps this workspace's conversations. (Resuming by id finds it in either
 * folder today; listing, `--continue` and its cleanup look only in the working directory's.)
 */
function remapTranscripts(manifest: Manifest, cwd: string): Record<TreeName, ManifestEntry[]> {
  const from = projectFolder(manifest.cwd);
  const to = projectFolder(cwd);
  if (from === undefined || to === undefined || from === to) return manifest.trees;
  const oldTop = `.claude/projects/${from}`;
  const newTop = `.claude/projects/${to}`;
  const home = manifest.trees.home
    .filter((e) => e.p !== newTop && !e.p.startsWith(`${newTop}/`))
    .map((e) => (e.p === oldTop || e.p.startsWith(`${oldTop}/`) ? { ...e, p: newTop + e.p.slice(oldTop.length) } : e));
  return { ...manifest.trees, home };
}

async function restoreTree(
  input: RestoreInput,
  tree: TreeName,
  wanted: ManifestEntry[],
  staging: string,
): Promise<{ hashes: Record<string, [string, string]>; files: number; fetchedFiles: number; fetchedBytes: number }> {
  const root = input.dirs[tree];
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  const rootStat = await fs.lstat(root);
  // What a run owns (its workspace and home belong to the run user) stays the run user's.
  const owner = rootStat.uid !== process.getuid?.() ? { uid: rootStat.uid, gid: rootStat.gid } : undefined;
  const give = async (p: string | Buffer) => {
    if (owner) await fs.lchown(p, owner.uid, owner.gid);
  };
  // What git would read as configuration or run is never taken from the store (manifest.ts).
  wanted = wanted.filter((e) => isStateEntry(tree, e.p, e.k));
  const local = new Map<string, TreeEntry>();
  let walked = await walkTree(root, input.maxEntries);
  if (walked.truncated) {
    // A copy too large to compare: it goes whole, and everything comes from the store.
    await fs.rm(root, { recursive: true, force: true });
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    if (owner) await fs.chown(root, owner.uid, owner.gid);
    walked = { entries: [], truncated: false };
  }
  for (const e of walked.entries) local.set(e.rel, e);
  const want = new Map(wanted.map((e) => [e.p, e]));
  // Every entry's parent is a directory of the save: nothing can be written through a link.
  for (const e of wanted) {
    const parent = e.p.includes('/') ? e.p.slice(0, e.p.lastIndexOf('/')) : '';
    if (parent !== '' && want.get(parent)?.k !== 'd') throw damaged(input.sessionId, tree, e, 'is not inside a saved directory');
  }
  const known = input.index.hashes[tree] ?? {};

  // 1. What the save does not have, or has as another kind, goes: deepest first.
  const doomed = [...local.values()]
    .filter((e) => want.get(e.rel)?.k !== e.kind || (e.kind === 'l' && want.get(e.rel)?.t !== e.target))
    .sort((a, b) => depth(b.rel) - depth(a.rel));
  for (const e of doomed) {
    await fs.rm(fsPath(root, e.rel), { recursive: true, force: true });
    local.delete(e.rel);
  }
  // 2. Directories, parents first.
  for (const e of wanted.filter((w) => w.k === 'd').sort((a, b) => depth(a.p) - depth(b.p))) {
    const abs = fsPath(root, e.p);
    if (!local.has(e.p)) {
      await fs.mkdir(abs, { mode: 0o700 });
      await give(abs);
    }
  }
  // 3. Links.
  for (const e of wanted.filter((w) => w.k === 'l')) {
    if (local.has(e.p)) continue;
    const abs = fsPath(root, e.p);
    await fs.symlink(bytesOfName(e.t as string), abs);
    await give(abs);
  }
  // 4. Files: kept when this copy already has the same content, else fetched and checked.
  const hashes: Record<string, [string, string]> = {};
  let fetchedFiles = 0;
  let fetchedBytes = 0;
  const files = wanted.filter((w) => w.k === 'f');
  await forEachLimited(files, PARALLEL, async (e) => {
    const abs = fsPath(root, e.p);
    const have = local.get(e.p);
    const cached = known[e.p];
    if (have?.kind === 'f' && cached !== undefined && cached[0] === stampOf(have) && cached[1] === e.h) {
      if ((have.mode & 0o7777) !== keptMode(e.m)) await fs.chmod(abs, keptMode(e.m));
    } else {
      const temp = path.join(staging, randomUUID());
      const got = await input.objects.getToFile(blobKey(input.sessionId, e.h as string), temp);
      if (got === undefined) throw damaged(input.sessionId, tree, e, 'is missing from the store');
      if (got !== e.h) throw damaged(input.sessionId, tree, e, 'does not match its checksum');
      await fs.chmod(temp, keptMode(e.m));
      await give(temp);
      await fs.rename(temp, abs);
      fetchedFiles++;
      fetchedBytes += e.n ?? 0;
    }
    const now = await fs.lstat(abs, { bigint: true });
    hashes[e.p] = [stampOf({ size: Number(now.size), mtimeNs: now.mtimeNs, ctimeNs: now.ctimeNs, ino: now.ino }), e.h as string];
  });
  // 5. Directory modes last: a read-only directory would refuse the files going in.
  for (const e of wanted.filter((w) => w.k === 'd')) {
    const have = local.get(e.p);
    // lchmod does not exist on Linux; the entry is a directory this restore made or kept as one.
    if (have === undefined || (have.mode & 0o7777) !== keptMode(e.m)) await fs.chmod(fsPath(root, e.p), keptMode(e.m));
  }
  return { hashes, files: files.length, fetchedFiles, fetchedBytes };
}

function damaged(sessionId: string, tree: TreeName, e: ManifestEntry, what: string): SessionStateDamagedError {
  const label = tree === 'home' && e.p.startsWith('.claude/projects/') ? 'conversation transcript' : `${tree} file`;
  return new SessionStateDamagedError(sessionId, `the saved ${label} ${JSON.stringify(displayName(e.p))} ${what}`);
}

function depth(rel: string): number {
  let n = 0;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 0x2f) n++;
  return n;
}

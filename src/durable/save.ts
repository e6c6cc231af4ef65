/**
 * Saving a session: walk its trees, hash what changed since this worker last knew it (the local
 * index), upload only blobs the store does not have, write a manifest, then move the head to it
 * with a compare-and-swap. A save that loses the swap (another worker saved first) changes nothing
 * anyone reads: its blobs and manifest are unreferenced.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LocalIndex } from './local-index.js';
import {
  blobKey,
  encodeManifest,
  headKey,
  manifestKey,
  sha256,
  isStateEntry,
  keptMode,
  MAX_MANIFEST_BYTES,
  TREES,
  type Head,
  type Manifest,
  type ManifestEntry,
  type TreeName,
} from './manifest.js';
import { PreconditionFailedError, writeHashed, type ObjectStore } from './objects.js';
import { forEachLimited } from './pool.js';
import { inDir, openDirAt, realRootOf, stampOf, walkTree, type TreeEntry } from './tree.js';

/** Files up to this size are read into memory, hashed and uploaded from the same bytes. */
const IN_MEMORY_BYTES = 8 * 2 ** 20;
// Requests in flight: S3 answers each in tens of milliseconds and takes many at once (the SDK's
// default pool has 50 sockets); a save or restore of many small files is bound by round trips.
const PARALLEL = 48;

/** The head fields a save takes from the session as it is now. */
export type HeadFields = Pick<
  Head,
  'owner' | 'created_at' | 'claude_session_id' | 'last_event_seq' | 'invocation_id' | 'checkpoint' | 'repository' | 'worker'
>;

export interface SaveInput {
  objects: ObjectStore;
  sessionId: string;
  /** The session's trees (and `root`, where staging copies go). */
  dirs: Record<TreeName, string> & { root: string };
  fields: HeadFields;
  /** The head now in the store and its tag (undefined: the session was never saved). */
  previous: { head: Head; etag: string } | undefined;
  /** Blobs the store is known to have (those of the previous manifest). */
  knownBlobs: ReadonlySet<string>;
  index: LocalIndex;
  maxEntries: number;
  /** Most file bytes the workspace and home may hold in a save (the run's disk limit): past it, sparse files included, nothing is saved. */
  maxBytes: number;
  /** Most file bytes of the git record in a save. */
  maxGitBytes: number;
  /** Proves the lease is still this save's just before the head moves (false: it is not). */
  confirmLease?: () => Promise<boolean>;
  now?: () => Date;
}

export interface SaveResult {
  head: Head;
  etag: string;
  /** The index to keep: this generation, clean, with every file's hash. */
  index: LocalIndex;
  blobs: Set<string>;
  files: number;
  uploadedFiles: number;
  uploadedBytes: number;
  truncated: boolean;
}

/** The session is larger than a save holds (entries or bytes): the head stays where it was. */
export class SaveTooLargeError extends Error {
  constructor(what: string) {
    super(`the session holds ${what}, more than a save holds; it was not saved`);
    this.name = 'SaveTooLargeError';
  }
}

/** Someone else moved the head since this worker read it: this save did not land. */
export class SaveConflictError extends Error {
  constructor(sessionId: string) {
    super(`Session ${sessionId} was saved by another worker meanwhile; this save was not used.`);
    this.name = 'SaveConflictError';
  }
}

/**
 * Saves the session's trees as the next generation.
 * @example const saved = await saveSession({ objects, sessionId, dirs, fields, previous, knownBlobs, index, maxEntries });
 */
export async function saveSession(input: SaveInput): Promise<SaveResult> {
  const { objects, sessionId } = input;
  const generation = (input.previous?.head.generation ?? 0) + 1;
  // Outside the session's folder: on AgentCore that is a 1 GB mount, and a run never sees the service's tmp.
  const staging = path.join(os.tmpdir(), `cca-save-${randomUUID()}`);
  const blobs = new Set(input.knownBlobs);
  const manifest: Manifest = { version: 1, cwd: input.dirs.workspace, trees: { workspace: [], home: [], git: [] }, truncated: false };
  const index: LocalIndex = { generation, clean: true, hashes: {} };
  let files = 0;
  let uploadedFiles = 0;
  let uploadedBytes = 0;
  await fs.mkdir(staging, { recursive: true, mode: 0o700 });
  try {
    let bytes = 0;
    for (const tree of TREES) {
      const root = input.dirs[tree];
      const walked = await walkTree(root, input.maxEntries);
      // Half a tree saved would be restored as the whole of it elsewhere: nothing moves instead.
      if (walked.truncated) throw new SaveTooLargeError(`more than ${input.maxEntries} entries in its ${tree}`);
      // The run's trees against the run's disk limit; the service's git record (a clone's history) has its own.
      let treeBytes = 0;
      for (const e of walked.entries) if (e.kind === 'f' && isStateEntry(tree, e.rel, e.kind)) treeBytes += e.size;
      const limit = tree === 'git' ? input.maxGitBytes : input.maxBytes;
      if (tree !== 'git') bytes += treeBytes;
      if ((tree === 'git' ? treeBytes : bytes) > limit) {
        throw new SaveTooLargeError(
          `more than ${Math.round(limit / 2 ** 20)} MiB of files in its ${tree === 'git' ? 'git record' : 'workspace and home'}`,
        );
      }
      const realRoot = walked.entries.length === 0 ? root : await realRootOf(root);
      const known = input.index.hashes[tree] ?? {};
      const hashes: Record<string, [string, string]> = {};
      const entries: ManifestEntry[] = [];
      const toRead: TreeEntry[] = [];
      for (const e of walked.entries) {
        if (!isStateEntry(tree, e.rel, e.kind)) continue;
        if (e.kind === 'd') entries.push({ p: e.rel, k: 'd', m: keptMode(e.mode) });
        else if (e.kind === 'l') entries.push({ p: e.rel, k: 'l', m: keptMode(e.mode), t: e.target as string });
        else {
          const cached = known[e.rel];
          const stamp = stampOf(e);
          if (cached !== undefined && cached[0] === stamp) {
            entries.push({ p: e.rel, k: 'f', h: cached[1], n: e.size, m: keptMode(e.mode) });
            hashes[e.rel] = cached;
          } else toRead.push(e);
        }
      }
      await forEachLimited(toRead, PARALLEL, async (e) => {
        const read = await readAndUpload(objects, sessionId, realRoot, e, staging, blobs);
        if (read === undefined) return; // Gone, or no longer a regular file: not state.
        entries.push({ p: e.rel, k: 'f', h: read.sha, n: read.size, m: keptMode(e.mode) });
        hashes[e.rel] = [stampOf(e), read.sha];
        if (read.uploaded) {
          uploadedFiles++;
          uploadedBytes += read.size;
        }
      });
      for (const e of entries) if (e.k === 'f') blobs.add(e.h as string);
      files += entries.filter((e) => e.k === 'f').length;
      manifest.trees[tree] = entries.sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
      index.hashes[tree] = hashes;
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }

  const body = encodeManifest(manifest);
  // A manifest every restore would refuse must never become the head.
  if (body.length > MAX_MANIFEST_BYTES)
    throw new SaveTooLargeError(`so many entries that its manifest passes ${MAX_MANIFEST_BYTES / 2 ** 20} MiB`);
  const mKey = manifestKey(sessionId, generation, randomUUID().slice(0, 8));
  await objects.put(mKey, body);
  const head: Head = {
    version: 1,
    session_id: sessionId,
    generation,
    manifest: { key: mKey, sha256: sha256(body), bytes: body.length },
    saved_at: (input.now?.() ?? new Date()).toISOString(),
    ...input.fields,
  };
  if (input.confirmLease !== undefined && !(await input.confirmLease())) throw new SaveConflictError(sessionId);
  let etag: string;
  try {
    etag = await objects.put(
      headKey(sessionId),
      Buffer.from(JSON.stringify(head)),
      input.previous === undefined ? { ifNoneMatch: '*' } : { ifMatch: input.previous.etag },
    );
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    // A retried write whose first attempt landed answers 412 too: the head naming this manifest is this save.
    const now = await objects.get(headKey(sessionId));
    const landed = now !== undefined && (JSON.parse(now.body.toString('utf8')) as Partial<Head>).manifest?.key === mKey;
    if (!landed) throw new SaveConflictError(sessionId);
    etag = now.etag;
  }
  return { head, etag, index, blobs, files, uploadedFiles, uploadedBytes, truncated: manifest.truncated };
}

/** Reads one file (never through a link, at any component), uploads it if the store lacks its content, returns its hash. */
async function readAndUpload(
  objects: ObjectStore,
  sessionId: string,
  realRoot: string,
  e: TreeEntry,
  staging: string,
  blobs: Set<string>,
): Promise<{ sha: string; size: number; uploaded: boolean } | undefined> {
  let handle: fs.FileHandle;
  const cut = e.rel.lastIndexOf('/');
  try {
    const dir = await openDirAt(realRoot, cut < 0 ? '' : e.rel.slice(0, cut));
    try {
      handle = await fs.open(
        inDir(dir, e.rel.slice(cut + 1)),
        constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
      );
    } finally {
      await dir.close();
    }
  } catch {
    return undefined;
  }
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile() || st.ino !== e.ino || st.dev !== e.dev) return undefined;
    // Never more than the walk saw: a file a running run grows (a sparse terabyte) must not get past
    // the save's byte bound; one it shrank is saved as far as it goes.
    if (e.size <= IN_MEMORY_BYTES) {
      const body = await readUpTo(handle, e.size);
      const sha = sha256(body);
      const uploaded = !blobs.has(sha);
      if (uploaded) {
        blobs.add(sha);
        await objects.put(blobKey(sessionId, sha), body);
      }
      return { sha, size: body.length, uploaded };
    }
    // Large: copied aside while hashed, so the bytes uploaded are the bytes hashed even if the file changes.
    const copy = path.join(staging, randomUUID());
    const { sha256: sha, size } = await writeHashed(handle.createReadStream({ autoClose: false, start: 0, end: e.size - 1 }), copy);
    const uploaded = !blobs.has(sha);
    if (uploaded) {
      blobs.add(sha);
      await objects.putFile(blobKey(sessionId, sha), copy, size);
    }
    await fs.rm(copy, { force: true });
    return { sha, size, uploaded };
  } finally {
    await handle.close();
  }
}

/** The first `size` bytes of the file (fewer if it is shorter now). */
async function readUpTo(handle: fs.FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

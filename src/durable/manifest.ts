/**
 * What a save writes: the head (`sessions/<id>/saved/head.json`, replaced by compare-and-swap,
 * the one pointer to the current state), the manifest it names (every entry of the session's
 * trees, gzipped JSON, with its SHA-256 in the head), and blobs by content hash
 * (`sessions/<id>/saved/blobs/<sha256>`). Every read is checked: the manifest against the head,
 * each blob against the manifest.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RepositoryInfo } from '../schemas/changes.js';
import { sessionObjectKey } from '../state/index.js';
import type { TreeKind } from './tree.js';

/** The trees of a session that are state: the files, Claude Code's home (the transcript), the private git record. */
export const TREES = ['workspace', 'home', 'git'] as const;
export type TreeName = (typeof TREES)[number];

/** One saved entry: a directory, a file (by hash) or a link (by target). */
export interface ManifestEntry {
  /** Path in the tree, bytes-in-a-string (JSON escapes the lone surrogates that stand for raw bytes). */
  p: string;
  k: TreeKind;
  /** A file's SHA-256 (hex). */
  h?: string;
  /** A file's size. */
  n?: number;
  /** Permission bits. */
  m: number;
  /** A link's target. */
  t?: string;
}

export interface Manifest {
  version: 1;
  /** The workspace path Claude Code ran in: its transcript folder is named after it. */
  cwd: string;
  trees: Record<TreeName, ManifestEntry[]>;
  /** A tree was larger than the walk's bound: entries are missing. */
  truncated: boolean;
}

/** The pointer to a session's current saved state, and the session's record for a worker that has never seen it. */
export interface Head {
  version: 1;
  session_id: string;
  /** 1 for the first save, +1 for each: a worker whose local copy is of this generation restores nothing. */
  generation: number;
  manifest: { key: string; sha256: string; bytes: number };
  saved_at: string;
  /** Which worker saved it (host and process), for people reading the store. */
  worker: string;
  /** The session's owner (an API key id), null on the unauthenticated runtime. */
  owner: string | null;
  created_at: string;
  /** The Claude Code conversation to resume. */
  claude_session_id: string | null;
  /** The last event id of the session when saved: event ids continue from it on any worker. */
  last_event_seq: number;
  /** The invocation that ended in (or, for a checkpoint, was running at) this save. */
  invocation_id: string;
  /** Whether this is a checkpoint taken while the invocation ran. */
  checkpoint: boolean;
  repository: RepositoryInfo | null;
}

// Keys under the store's own prefix, in the sessions' layout of state/keys.ts.
export function headKey(sessionId: string): string {
  return sessionObjectKey('', sessionId, 'saved/head.json');
}

export function blobKey(sessionId: string, sha256: string): string {
  return sessionObjectKey('', sessionId, `saved/blobs/${sha256}`);
}

export function manifestKey(sessionId: string, generation: number, token: string): string {
  return sessionObjectKey('', sessionId, `saved/manifests/${String(generation).padStart(8, '0')}-${token}.json.gz`);
}

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Most bytes a manifest may have, gzipped and unzipped: a gzip bomb or a runaway save stops here. */
export const MAX_MANIFEST_BYTES = 64 * 2 ** 20;
export const MAX_MANIFEST_JSON_BYTES = 512 * 2 ** 20;

/**
 * What of the service's git record is state. Everything git reads as configuration or runs
 * (config, hooks, info/attributes, objects/info/alternates) is left out in both directions: a
 * tampered store must not hand the service's git a filter, a hook or another object directory.
 * The runtime writes the record's config afresh after a restore.
 */
const GIT_STATE =
  /^(HEAD|packed-refs|shallow|index|cca-origin\.json|cca-clean|refs(\/.+)?|objects|objects\/pack(\/[^/]+)?|objects\/[0-9a-f]{2}(\/[0-9a-f]{38,62})?)$/;

/** Whether an entry of `tree` at `rel` is saved and restored at all (the git record: files and folders only, never a link). */
export function isStateEntry(tree: TreeName, rel: string, kind: TreeKind): boolean {
  return tree !== 'git' || (kind !== 'l' && GIT_STATE.test(rel));
}

/** Permission bits kept: never setuid, setgid or sticky, whatever the tree or the store says. */
export function keptMode(mode: number): number {
  return mode & 0o777;
}

export function encodeManifest(manifest: Manifest): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(manifest), 'utf8'), { level: 6 });
}

/** The manifest in `body`, or a sentence saying what is wrong with it. */
export function decodeManifest(body: Buffer): Manifest | string {
  if (body.length > MAX_MANIFEST_BYTES) return 'the manifest is larger than any save writes';
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(body, { maxOutputLength: MAX_MANIFEST_JSON_BYTES }).toString('utf8'));
  } catch {
    return 'the manifest is not gzipped JSON of a size a save writes';
  }
  const m = parsed as Partial<Manifest> | null;
  if (m?.version !== 1 || typeof m.cwd !== 'string' || typeof m.trees !== 'object' || m.trees === null) {
    return 'the manifest is not a version 1 manifest';
  }
  for (const tree of TREES) {
    const entries = m.trees[tree];
    if (!Array.isArray(entries)) return `the manifest has no ${tree} tree`;
    const seen = new Set<string>();
    for (const e of entries) {
      const why = entryProblem(e) ?? (seen.has((e as ManifestEntry).p) ? 'it is listed twice' : undefined);
      if (why !== undefined) return `${tree} entry ${JSON.stringify((e as { p?: unknown })?.p)}: ${why}`;
      seen.add((e as ManifestEntry).p);
    }
  }
  return m as Manifest;
}

/** The head in `body`, or a sentence saying what is wrong with it. */
export function decodeHead(body: Buffer, sessionId: string): Head | string {
  let h: Partial<Head> | null;
  try {
    h = JSON.parse(body.toString('utf8')) as Partial<Head> | null;
  } catch {
    return 'the head record is not JSON';
  }
  if (
    h?.version !== 1 ||
    h.session_id !== sessionId ||
    !Number.isInteger(h.generation) ||
    typeof h.manifest?.key !== 'string' ||
    !/^[0-9a-f]{64}$/.test(h.manifest.sha256 ?? '') ||
    // Exactly a manifest of this session: no "..", no other session's folder.
    !h.manifest.key.startsWith(`sessions/${sessionId}/saved/manifests/`) ||
    !/^\d{8}-[0-9a-f]{8}\.json\.gz$/.test(h.manifest.key.slice(`sessions/${sessionId}/saved/manifests/`.length)) ||
    typeof h.last_event_seq !== 'number' ||
    typeof h.created_at !== 'string'
  ) {
    return 'the head record is malformed';
  }
  return h as Head;
}

function entryProblem(e: unknown): string | undefined {
  const x = e as Partial<ManifestEntry> | null;
  if (typeof x?.p !== 'string' || !isContained(x.p)) return 'its path is not a relative path inside the tree';
  if (typeof x.m !== 'number') return 'it has no mode';
  if (x.k === 'f') return typeof x.h === 'string' && /^[0-9a-f]{64}$/.test(x.h) && typeof x.n === 'number' ? undefined : 'no hash';
  if (x.k === 'l') return typeof x.t === 'string' ? undefined : 'a link without a target';
  if (x.k === 'd') return undefined;
  return 'an unknown kind';
}

/** A path that stays inside its tree: relative, no empty, "." or ".." segment, no NUL. */
export function isContained(p: string): boolean {
  return p !== '' && !p.startsWith('/') && !p.includes('\0') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * The folder Claude Code keeps a project's transcripts in, under `~/.claude/projects/`: the working
 * directory with every character but ASCII letters and digits turned into "-" (Claude Code's own
 * rule; names longer than 200 characters get a hash suffix we cannot reproduce, so those are left).
 * @example projectFolder('/data/sessions/s1/workspace') // '-data-sessions-s1-workspace'
 */
export function projectFolder(cwd: string): string | undefined {
  const name = cwd.replace(/[^a-zA-Z0-9]/g, '-');
  return name.length <= 200 ? name : undefined;
}

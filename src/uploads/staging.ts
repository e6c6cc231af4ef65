/**
 * Where an upload is written before it reaches the workspace: a fresh private folder inside the
 * session folder. Every entry is written there first, counted against the limits as its bytes
 * arrive; only when the whole upload is read and every destination checked are the files moved
 * into the workspace (rename, same file system). A refused or broken upload is removed with its
 * staging folder, so the workspace stays as it was.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lchown, lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { UnsafeEntryError } from './entry-path.js';
import { overDiskLimit, tooManyBytes, tooManyFiles, type UploadLimits } from './upload-limits.js';

/** A file written by an upload. */
export interface WrittenFile {
  path: string;
  size: number;
}

/** An entry left out, and why (`symbolic_link`, `hard_link`, `special_file`, `not_a_file`). */
export interface SkippedEntry {
  path: string;
  reason: string;
}

/** The owner files are given when runs execute as another user (the service runs as root). */
export interface FileOwner {
  uid: number;
  gid: number;
}

// O_EXCL: never reuse a name; O_NOFOLLOW: never write through a link, even in our own folder.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** One upload's staging folder and the tally of what it wrote. */
export class Staging {
  readonly files = new Map<string, number>();
  readonly dirs = new Set<string>();
  readonly skipped: SkippedEntry[] = [];
  private bytes = 0;
  private entries = 0;
  /** Files still being written: a failed upload closes them, whatever stream was feeding them. */
  private readonly open = new Set<Writable>();

  private constructor(
    readonly dir: string,
    readonly limits: UploadLimits,
  ) {}

  /**
   * Creates the staging folder (mode 0700) inside `sessionRoot`.
   * @example const staging = await Staging.create(dirs.root, limits);
   */
  static async create(sessionRoot: string, limits: UploadLimits): Promise<Staging> {
    const dir = path.join(sessionRoot, `.upload-${randomUUID()}`);
    await mkdir(dir, { mode: 0o700 });
    return new Staging(dir, limits);
  }

  /** Counts one entry of any kind (files, folders, skipped links): a bound on the work an archive can cause. */
  countEntry(): void {
    if (++this.entries > this.limits.maxFiles * 2 + 16) throw tooManyFiles(this.limits);
  }

  /** Notes an entry that is not written. */
  skip(rel: string, reason: string): void {
    this.countEntry();
    this.skipped.push({ path: rel, reason });
  }

  /** Notes a folder (created, even empty, when the upload is moved in). */
  addDir(rel: string): void {
    this.countEntry();
    this.dirs.add(rel);
  }

  /**
   * A sink for the file `rel`: counts every byte against the limits (413 as soon as one is over)
   * and writes it to the staging folder. A later entry of the same path replaces an earlier one.
   */
  async openFile(rel: string): Promise<Writable> {
    this.countEntry();
    const previous = this.files.get(rel);
    if (previous === undefined && this.files.size >= this.limits.maxFiles) throw tooManyFiles(this.limits);
    if (previous !== undefined) this.bytes -= previous;
    this.files.set(rel, 0);
    const target = path.join(this.dir, 'files', rel);
    await this.mkdirs(path.dirname(target), rel);
    if (previous !== undefined) await rm(target, { force: true });
    const handle = await open(target, CREATE_FLAGS, 0o644).catch((err: unknown) => {
      // EEXIST: "a/b" came first, so "a" is a folder of this upload and cannot also be a file.
      throw errorCode(err) === 'EEXIST' ? new UnsafeEntryError(rel, 'a folder of the upload has this name') : err;
    });
    const sink = new StagedFile(handle, (n) => this.add(rel, n));
    this.open.add(sink);
    sink.once('close', () => this.open.delete(sink));
    return sink;
  }

  private add(rel: string, n: number): void {
    const size = (this.files.get(rel) ?? 0) + n;
    this.files.set(rel, size);
    this.bytes += n;
    if (size > this.limits.maxEntryBytes || this.bytes > this.limits.maxBytes) throw tooManyBytes(this.limits);
    if (this.bytes > this.limits.diskRoomBytes) throw overDiskLimit(this.limits);
  }

  private async mkdirs(abs: string, rel: string): Promise<void> {
    try {
      await mkdir(abs, { recursive: true, mode: 0o755 });
    } catch (err) {
      // "a" a file, then "a/b": the path goes through a file of the same upload.
      if (errorCode(err) === 'ENOTDIR' || errorCode(err) === 'EEXIST')
        throw new UnsafeEntryError(rel, 'a parent folder is a file of the upload');
      throw err;
    }
  }

  /** Bytes written so far. */
  get totalBytes(): number {
    return this.bytes;
  }

  /** Deletes the staging folder and whatever is left in it. */
  async discard(): Promise<void> {
    for (const sink of this.open) sink.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Moves everything into `workspace`: first checks every destination (no parent is a link or a
   * file, no target is a link or a folder), then creates folders and renames files, each given to
   * `owner` when there is one. Throws UnsafeEntryError before moving anything.
   */
  async commit(workspace: string, owner: FileOwner | undefined): Promise<WrittenFile[]> {
    const files = [...this.files.keys()].sort();
    for (const rel of this.dirs) await checkDestination(workspace, rel, 'dir');
    for (const rel of files) await checkDestination(workspace, rel, 'file');
    const made = new Set<string>();
    const ensureDir = async (rel: string) => {
      let sofar = '';
      for (const segment of rel.split('/')) {
        sofar = sofar === '' ? segment : `${sofar}/${segment}`;
        if (made.has(sofar)) continue;
        const abs = path.join(workspace, sofar);
        const created = await mkdir(abs, { mode: 0o755 }).then(
          () => true,
          (err: unknown) => {
            if (errorCode(err) !== 'EEXIST') throw err;
            return false;
          },
        );
        if (created && owner) await lchown(abs, owner.uid, owner.gid);
        made.add(sofar);
      }
    };
    // The workspace itself too: a run chowns the whole tree when its top is not the run user's,
    // which would make every uploaded file look changed by the run (ctime) and be stored as output.
    if (owner) await lchown(workspace, owner.uid, owner.gid);
    for (const rel of [...this.dirs].sort()) await ensureDir(rel);
    const written: WrittenFile[] = [];
    for (const rel of files) {
      const parent = path.posix.dirname(rel);
      if (parent !== '.') await ensureDir(parent);
      const target = path.join(workspace, rel);
      await rename(path.join(this.dir, 'files', rel), target);
      if (owner) await lchown(target, owner.uid, owner.gid);
      written.push({ path: rel, size: this.files.get(rel) ?? 0 });
    }
    return written;
  }
}

/** Refuses a destination that goes through a link or a file, or would replace a link or a folder. */
async function checkDestination(workspace: string, rel: string, kind: 'file' | 'dir'): Promise<void> {
  const segments = rel.split('/');
  let sofar = workspace;
  for (let i = 0; i < segments.length; i++) {
    sofar = path.join(sofar, segments[i] as string);
    const stat = await lstat(sofar).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (stat === undefined) return; // Nothing there from here down: it will be created.
    const last = i === segments.length - 1;
    const shown = segments.slice(0, i + 1).join('/');
    if (stat.isSymbolicLink()) {
      throw new UnsafeEntryError(rel, `"${shown}" in the workspace is a symbolic link, and uploads never write through or over links`);
    }
    if (!last && !stat.isDirectory()) throw new UnsafeEntryError(rel, `"${shown}" in the workspace is a file, not a folder`);
    if (last && kind === 'file' && !stat.isFile()) throw new UnsafeEntryError(rel, `"${shown}" in the workspace is not a regular file`);
    if (last && kind === 'dir' && !stat.isDirectory())
      throw new UnsafeEntryError(rel, `"${shown}" in the workspace is a file, not a folder`);
  }
}

/** A file of the staging folder, written chunk by chunk after `count` accepted the bytes. */
class StagedFile extends Writable {
  constructor(
    private readonly handle: FileHandle,
    private readonly count: (n: number) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    try {
      this.count(chunk.length);
    } catch (err) {
      callback(err as Error);
      return;
    }
    writeAll(this.handle, chunk).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.handle.close().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.handle.close().then(
      () => callback(err),
      () => callback(err),
    );
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

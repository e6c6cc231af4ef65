import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { errorCode } from './fs-errors.js';
import { bytesOfName } from './names.js';
import type { FileEntry } from './types.js';

/** The file at a snapshot path is no longer the one the snapshot saw (or the path could leave the workspace). */
export class WorkspaceFileChangedError extends Error {
  /** The workspace-relative path that was refused. */
  readonly path: string;

  constructor(filePath: string, why: string) {
    // JSON.stringify keeps names with newlines or quotes readable on one line.
    super(`Refused to read workspace file ${JSON.stringify(filePath)}: ${why}`);
    this.name = 'WorkspaceFileChangedError';
    this.path = filePath;
  }
}

// O_NONBLOCK: a FIFO swapped in would otherwise block the open until some writer appears.
// O_NOCTTY: a terminal device swapped in must not become our controlling terminal.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

// What open() reports when the final component is a link (ELOOP; EMLINK on FreeBSD), a socket
// (ENXIO), or when the path no longer exists as snapshotted.
const CHANGED_CODES = new Set(['ELOOP', 'EMLINK', 'ENXIO', 'ENOENT', 'ENOTDIR']);

/** Opens `entry` read-only only if it is still the very regular file the snapshot saw, inside `root`. */
export async function openWorkspaceFile(root: string, entry: FileEntry): Promise<FileHandle> {
  if (!isContainedPath(entry.path)) {
    throw new WorkspaceFileChangedError(
      entry.path,
      'the path is empty, absolute or has ".." segments, so it could name a file outside the workspace',
    );
  }
  const realRoot = await realpath(root);
  // Bytes throughout: a name that is not UTF-8 has no string the file system would accept.
  const abs = Buffer.concat([Buffer.from(path.join(realRoot, '/')), bytesOfName(entry.path)]);

  // Checked before opening too, so that a device node swapped in is refused without being opened.
  const seen = await lstat(abs, { bigint: true }).catch((err: unknown) => rethrowAsChanged(err, entry.path));
  if (!seen.isFile() || seen.dev !== entry.dev || seen.ino !== entry.ino) {
    throw new WorkspaceFileChangedError(entry.path, 'it was replaced after the snapshot');
  }

  const handle = await open(abs, OPEN_FLAGS).catch((err: unknown) => rethrowAsChanged(err, entry.path));
  try {
    const opened = await handle.stat({ bigint: true });
    if (!opened.isFile() || opened.dev !== entry.dev || opened.ino !== entry.ino) {
      throw new WorkspaceFileChangedError(entry.path, 'it was replaced after the snapshot');
    }
    // O_NOFOLLOW guards only the last component: a parent directory swapped for a link would
    // still be followed. The snapshot never walked through links, so the real parent must be
    // exactly the lexical one.
    const parent = abs.subarray(0, Math.max(1, abs.lastIndexOf(0x2f)));
    const realParent = await realpath(parent, { encoding: 'buffer' }).catch((err: unknown) => rethrowAsChanged(err, entry.path));
    if (!realParent.equals(parent)) {
      throw new WorkspaceFileChangedError(entry.path, 'a parent directory was replaced by a symbolic link after the snapshot');
    }
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function isContainedPath(p: string): boolean {
  if (p === '' || p.includes('\0') || path.posix.isAbsolute(p)) return false;
  return !p.split('/').includes('..');
}

function rethrowAsChanged(err: unknown, filePath: string): never {
  const code = errorCode(err);
  if (code !== undefined && CHANGED_CODES.has(code)) {
    throw new WorkspaceFileChangedError(filePath, `it is no longer a regular file at that path (${code})`);
  }
  throw err;
}

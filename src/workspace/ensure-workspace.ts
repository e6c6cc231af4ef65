import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../errors/index.js';
import { errorCode } from './fs-errors.js';

// Starts alphanumeric so ".", "..", "-rf" and hidden names are impossible; no "/" so it is one segment.
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A session id that cannot be used as a single directory name (a 400 for the caller). */
export class InvalidSessionIdError extends ValidationError {
  constructor(sessionId: string) {
    super(
      `Invalid session id ${JSON.stringify(sessionId.slice(0, 140))}: use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
}

/** True if `id` is safe to use as one directory name under the sessions root. */
export function isValidSessionId(id: string): boolean {
  return id !== '.' && id !== '..' && SESSION_ID.test(id);
}

/** Creates (mode 0o700) and returns `<sessionsRoot>/<sessionId>/workspace`; throws InvalidSessionIdError for unsafe ids. */
export async function ensureWorkspace(sessionsRoot: string, sessionId: string): Promise<string> {
  if (!isValidSessionId(sessionId)) throw new InvalidSessionIdError(sessionId);
  const sessionDir = path.join(sessionsRoot, sessionId);
  const workspace = path.join(sessionDir, 'workspace');
  await mkdir(sessionsRoot, { recursive: true, mode: 0o700 });
  await makePlainDirectory(sessionDir);
  await makePlainDirectory(workspace);
  return workspace;
}

// One level at a time, never through a link: a previous run could have replaced its workspace
// (or the session directory) with a link to "/", and walking that would report host files as
// the run's output, while a recursive mkdir would create directories wherever the link points.
async function makePlainDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
  }
  if (!(await lstat(dir)).isDirectory()) {
    throw new Error(`${dir} exists but is not a plain directory (a symbolic link?); refusing to use it as a workspace.`);
  }
}

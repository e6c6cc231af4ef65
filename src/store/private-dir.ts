/**
 * The data dir holds the database, the signing secret, the first API key, stored files, logs and
 * every session's workspace: only the service's user may enter it. New files are created 0600 and
 * folders 0700 where they are written; this makes an existing data dir private too. Tightening the
 * top (the data dir 0700 and the folders right below it) makes everything deeper unreachable for
 * other users, so nothing is crawled; the files at the top, which hold the secrets, are set 0600.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Files at the top of a data dir: the database (with its WAL and shared memory), secrets, the lock. */
export const PRIVATE_FILES = ['cca.db', 'cca.db-wal', 'cca.db-shm', '.signing_key', '.api_key', '.lock'] as const;
/** Folders at the top of a data dir: stored files, sessions (workspaces, homes, snapshots), logs. */
export const PRIVATE_DIRS = ['artifacts', 'sessions', 'logs'] as const;

/** A data dir could not be made private (its owner is another user?). */
export class DataDirPermissionError extends Error {
  override name = 'DataDirPermissionError';
}

/**
 * Creates `dataDir` if needed and makes it private: the dir and its top folders 0700, its top files 0600.
 * @example makeDataDirPrivate('/var/lib/cca');
 */
export function makeDataDirPrivate(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  restrict(dataDir, 0o700);
  for (const name of PRIVATE_DIRS) restrict(path.join(dataDir, name), 0o700);
  for (const name of PRIVATE_FILES) restrict(path.join(dataDir, name), 0o600);
}

/** chmod, unless it is already that mode or is not there; never through a symbolic link. */
function restrict(target: string, mode: number): void {
  let info: fs.Stats;
  try {
    info = fs.lstatSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  // A link at the top of the data dir is the operator's own doing (a volume elsewhere): its target
  // is theirs to protect, and chmod would follow it.
  if (info.isSymbolicLink() || (info.mode & 0o777) === mode) return;
  try {
    fs.chmodSync(target, mode);
  } catch (err) {
    throw new DataDirPermissionError(
      `Could not make ${target} private (chmod ${mode.toString(8)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
        'run the service as the owner of its data dir, or give it a data dir of its own (--data-dir / CCA_DATA_DIR).',
    );
  }
}

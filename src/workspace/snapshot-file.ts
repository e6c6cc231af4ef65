/**
 * A snapshot kept on disk, so that what a run changed can still be found after the process died
 * in the middle of it. JSON with the bigints as decimal strings; written atomically (temporary
 * file, fsync, rename), so a reader sees the old file, the new one, or none, never half of one.
 */
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errorCode } from './fs-errors.js';
import type { FileEntry, Snapshot } from './types.js';

const FORMAT = 1;

const decimal = z.string().regex(/^\d+$/).transform(BigInt);

const SnapshotFileSchema = z.object({
  format: z.literal(FORMAT),
  truncated: z.boolean(),
  entries: z.array(
    z.object({
      path: z.string().min(1),
      kind: z.enum(['file', 'symlink', 'other']),
      size: z.number().int().nonnegative(),
      mtimeNs: decimal,
      ctimeNs: decimal,
      ino: decimal,
      dev: decimal,
      nlink: z.number().int().nonnegative(),
    }),
  ),
});

/** The file exists but is not a snapshot this build can read. */
export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
}

/** The JSON text of a snapshot (bigints as decimal strings). */
export function serializeSnapshot(snapshot: Snapshot): string {
  const entries = [...snapshot.entries.values()].map((e) => ({
    path: e.path,
    kind: e.kind,
    size: e.size,
    mtimeNs: e.mtimeNs.toString(),
    ctimeNs: e.ctimeNs.toString(),
    ino: e.ino.toString(),
    dev: e.dev.toString(),
    nlink: e.nlink,
  }));
  return JSON.stringify({ format: FORMAT, truncated: snapshot.truncated, entries });
}

/** The snapshot in a JSON text made by `serializeSnapshot`; throws SnapshotFileError for anything else. */
export function parseSnapshot(text: string): Snapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFileError(`not JSON: ${(err as Error).message}`);
  }
  const parsed = SnapshotFileSchema.safeParse(json);
  if (!parsed.success) throw new SnapshotFileError(`not a workspace snapshot: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const entries = new Map<string, FileEntry>(parsed.data.entries.map((e) => [e.path, e]));
  return { entries, truncated: parsed.data.truncated };
}

/**
 * Writes `snapshot` to `file` atomically (mode 0600, its directory made 0700).
 * @example await saveSnapshot(path.join(sessionDir, 'snapshots', `${invocationId}.json`), before);
 */
export async function saveSnapshot(file: string, snapshot: Snapshot): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Never write through a directory that was swapped for a link.
  if (!(await lstat(dir)).isDirectory())
    throw new SnapshotFileError(`${dir} is not a plain directory (a symbolic link?); refusing to write there.`);
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(serializeSnapshot(snapshot));
    // Without it a power cut could leave the renamed file empty; a killed process alone could not.
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file).catch(async (err: unknown) => {
    await rm(temporary, { force: true });
    throw err;
  });
}

/** The snapshot saved in `file`, or undefined when there is none; throws SnapshotFileError when it cannot be read as one. */
export async function loadSnapshot(file: string): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  return parseSnapshot(text);
}

/**
 * What this worker knows of its own copy of a session (`sessions/<id>/saved.json`): which saved
 * generation the copy is (or was, before runs here changed it), and the hash of each file by its
 * stamp (size, mtime, ctime, inode), so a save hashes only files that changed and a restore fetches
 * only files that differ.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TreeName } from './manifest.js';

export interface LocalIndex {
  /** The saved generation this copy is; 0: none. */
  generation: number;
  /** True right after a save or restore (for people reading it; a copy of the generation changed since is ahead of it, not behind). */
  clean: boolean;
  /** Per tree: path -> [stamp, sha256]. */
  hashes: Partial<Record<TreeName, Record<string, [string, string]>>>;
}

export const EMPTY_INDEX: LocalIndex = Object.freeze({ generation: 0, clean: false, hashes: {} });

function indexFile(sessionRoot: string): string {
  return path.join(sessionRoot, 'saved.json');
}

/** The local index of a session, or an empty one when there is none or it cannot be read. */
export async function readIndex(sessionRoot: string): Promise<LocalIndex> {
  try {
    const parsed = JSON.parse(await fs.readFile(indexFile(sessionRoot), 'utf8')) as Partial<LocalIndex>;
    if (typeof parsed.generation !== 'number' || typeof parsed.hashes !== 'object' || parsed.hashes === null) return EMPTY_INDEX;
    return { generation: parsed.generation, clean: parsed.clean === true, hashes: parsed.hashes };
  } catch {
    return EMPTY_INDEX;
  }
}

export async function writeIndex(sessionRoot: string, index: LocalIndex): Promise<void> {
  const file = indexFile(sessionRoot);
  const temp = `${file}.${process.pid}.partial`;
  await fs.mkdir(sessionRoot, { recursive: true, mode: 0o700 });
  await fs.writeFile(temp, JSON.stringify(index), { mode: 0o600 });
  await fs.rename(temp, file);
}

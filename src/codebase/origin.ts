/**
 * The repository a session was cloned from, kept in its private git dir: where pushes go and what
 * `output.repository` shows. Never a credential.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RepositoryInfo } from '../schemas/changes.js';

const FILE = 'cca-origin.json';

/**
 * The session's repository, or undefined for a session that did not start from one.
 * @example const origin = await readOrigin(dirs.git);
 */
export async function readOrigin(gitDir: string): Promise<RepositoryInfo | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(gitDir, FILE), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as Partial<RepositoryInfo>;
  if (typeof parsed.url !== 'string' || typeof parsed.commit !== 'string') return undefined;
  return { url: parsed.url, ref: parsed.ref ?? null, branch: parsed.branch ?? null, commit: parsed.commit };
}

/** Records the session's repository once its clone is checked out. */
export async function writeOrigin(gitDir: string, origin: RepositoryInfo): Promise<void> {
  await fs.writeFile(path.join(gitDir, FILE), JSON.stringify(origin), { mode: 0o600 });
}

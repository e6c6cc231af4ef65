/**
 * What an invocation changed, between two recorded commits of the private git dir: each path
 * added, modified, deleted or renamed (with its line counts, or `binary`), and a unified diff of
 * the text changes that `git apply` takes on the starting commit. Binary files are listed, not
 * patched: their new content is among the stored files.
 */
import { runGit } from './git.js';
import { splitZ } from './shadow.js';

/** One changed path. */
export interface ChangedPath {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  /** The old path of a rename. */
  from?: string | undefined;
  binary: boolean;
  additions: number;
  deletions: number;
}

const STATUS: Record<string, ChangedPath['status']> = { A: 'added', M: 'modified', T: 'modified', D: 'deleted', R: 'renamed' };

/**
 * The paths that differ between two commits, renames found by content (git's default 50 %).
 * @example const changed = await changedPaths(gitDir, base, head);
 */
export async function changedPaths(gitDir: string, base: string, head: string, hostPath?: string): Promise<ChangedPath[]> {
  // One pass: the raw records, then the numstat records (`-M` makes both see the same renames).
  const out = await runGit(['diff-tree', '-r', '-z', '-M', '--no-commit-id', '--raw', '--numstat', base, head], {
    gitDir,
    path: hostPath,
    bare: true,
  });
  const fields = splitZ(out);
  const rawFields: string[] = [];
  let i = 0;
  for (; i < fields.length && (fields[i] ?? '').startsWith(':');) {
    const meta = fields[i] as string;
    const renamed = /\sR\d*$/.test(meta);
    rawFields.push(...fields.slice(i, i + (renamed ? 3 : 2)));
    i += renamed ? 3 : 2;
  }
  const counts = parseNumstat(fields.slice(i));
  const result: ChangedPath[] = [];
  for (let j = 0; j < rawFields.length;) {
    const meta = rawFields[j++] ?? '';
    const letter = meta.trim().split(' ').at(-1)?.[0] ?? '';
    const status = STATUS[letter];
    if (status === undefined) break;
    const from = status === 'renamed' ? rawFields[j++] : undefined;
    const path = rawFields[j++] ?? '';
    const count = counts.get(path) ?? { binary: false, additions: 0, deletions: 0 };
    result.push({ path, status, ...(from !== undefined ? { from } : {}), ...count });
  }
  return result;
}

/** Line counts by (new) path; `-\t-` is git's mark of a binary file. */
function parseNumstat(fields: string[]): Map<string, Pick<ChangedPath, 'binary' | 'additions' | 'deletions'>> {
  const counts = new Map<string, Pick<ChangedPath, 'binary' | 'additions' | 'deletions'>>();
  for (let i = 0; i < fields.length;) {
    const head = fields[i++] ?? '';
    const m = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(head);
    if (!m) continue;
    let path = m[3] as string;
    // A rename: the stat line ends at the tab, and the old and new paths follow.
    if (path === '') {
      i++;
      path = fields[i++] ?? '';
    }
    const binary = m[1] === '-';
    counts.set(path, { binary, additions: binary ? 0 : Number(m[1]), deletions: binary ? 0 : Number(m[2]) });
  }
  return counts;
}

/** A patch of the text changes, or why there is none to store. */
export type Patch = { kind: 'patch'; bytes: Buffer } | { kind: 'none' } | { kind: 'too_large'; limit: number };

/**
 * The unified diff from `base` to `head`, without binary files; none when nothing textual changed.
 * @example const patch = await textPatch(gitDir, base, head, 50 * 1024 * 1024);
 */
export async function textPatch(gitDir: string, base: string, head: string, maxBytes: number, hostPath?: string): Promise<Patch> {
  let out: Buffer;
  try {
    out = await runGit(
      [
        'diff-tree',
        '-p',
        '-M',
        '--no-commit-id',
        '--no-color',
        '--no-ext-diff',
        '--no-textconv',
        '--src-prefix=a/',
        '--dst-prefix=b/',
        base,
        head,
      ],
      { gitDir, path: hostPath, bare: true, maxOutputBytes: maxBytes },
    );
  } catch (err) {
    if ((err as { stopped?: string }).stopped === 'output_limit') return { kind: 'too_large', limit: maxBytes };
    throw err;
  }
  const kept = withoutBinarySections(out);
  return kept.length === 0 ? { kind: 'none' } : { kind: 'patch', bytes: kept };
}

/** Drops each file's section that git could only say "Binary files ... differ" about (git apply refuses those). */
export function withoutBinarySections(patch: Buffer): Buffer {
  const marker = Buffer.from('diff --git ');
  const starts: number[] = [];
  for (let i = patch.indexOf(marker); i !== -1; i = patch.indexOf(marker, i + 1)) {
    if (i === 0 || patch[i - 1] === 0x0a) starts.push(i);
  }
  const sections = starts.map((start, k) => patch.subarray(start, starts[k + 1] ?? patch.length));
  const binary = /^Binary files .* differ$/m;
  return Buffer.concat(sections.filter((s) => !binary.test(headerOf(s))));
}

/** A section's header lines (up to its first hunk), where git writes the binary mark. */
function headerOf(section: Buffer): string {
  const hunk = section.indexOf('\n@@ ');
  return section.subarray(0, hunk === -1 ? Math.min(section.length, 8192) : hunk).toString('latin1');
}

/**
 * Facts about the host the service runs on that more than one domain asks for: where a program is
 * on PATH, and whether a process still lives.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * The first executable file `name` on `searchPath` (a PATH value; relative entries are skipped).
 * @example findExecutable('bwrap', '/usr/local/bin:/usr/bin:/bin') // '/usr/bin/bwrap'
 */
export function findExecutable(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; look further.
    }
  }
  return undefined;
}

/** Whether process `pid` exists (EPERM: it does, but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

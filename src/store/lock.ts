/**
 * One service per data dir: a second `cca serve` on the same directory would take the first one's
 * runs for interrupted ones (start-up recovery) and run the same sessions twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, isProcessAlive } from '../config/index.js';

/** Takes `<dataDir>/.lock` for this process; returns the release. A lock of a dead process is taken over. */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(file);
      if (holder !== undefined && holder !== process.pid && isProcessAlive(holder)) {
        throw new ConfigError(
          `Another cca process (pid ${holder}) is using the data dir ${dataDir}; stop it, or start this one with another --data-dir.`,
        );
      }
      // Left by a process that died (kill -9, crash): take it over.
      fs.rmSync(file, { force: true });
    }
  }
  throw new ConfigError(`Could not lock the data dir ${dataDir}: another process keeps creating ${file}.`);
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

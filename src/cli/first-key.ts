/**
 * The first `cca serve` on a data dir with no API key makes one, so the quick start needs no
 * extra step: the key goes to `<data dir>/.api_key` (mode 0600), where `cca api` finds it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KeyRepo } from '../keys/index.js';

export const API_KEY_FILE = '.api_key';

/** Creates the first key when the data dir has none; returns it (and where it was saved), or undefined. */
export function ensureFirstKey(keys: KeyRepo, dataDir: string): { id: string; key: string; file: string } | undefined {
  // Revoked keys count: an operator who revoked every key does not get a fresh one behind their back.
  if (keys.list().length > 0) return undefined;
  const { record, key } = keys.create('default');
  const file = path.join(dataDir, API_KEY_FILE);
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that already existed.
  fs.chmodSync(file, 0o600);
  return { id: record.id, key, file };
}

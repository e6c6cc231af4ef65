import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSigningSecret } from './signing-secret.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cca-secret-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadSigningSecret', () => {
  it('creates <dataDir>/.signing_key with 32 random bytes in hex, mode 0600', async () => {
    const secret = await loadSigningSecret(dir);
    const file = join(dir, '.signing_key');
    expect((await readFile(file, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(secret.length).toBeGreaterThanOrEqual(32);
  });

  it('returns the same secret on the next load', async () => {
    const first = await loadSigningSecret(dir);
    const second = await loadSigningSecret(dir);
    expect(second.equals(first)).toBe(true);
  });

  it('creates the data directory when it does not exist yet', async () => {
    const nested = join(dir, 'a', 'b');
    const secret = await loadSigningSecret(nested);
    expect((await loadSigningSecret(nested)).equals(secret)).toBe(true);
  });

  it('agrees on one secret when many loads race, and leaves no temp files', async () => {
    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadSigningSecret(dir)));
    for (const secret of secrets) expect(secret.equals(secrets[0]!)).toBe(true);
    expect(await readdir(dir)).toEqual(['.signing_key']);
  });

  it('uses the explicit secret and does not create a file', async () => {
    const secret = await loadSigningSecret(dir, 'configured-secret');
    expect(secret.toString('utf8')).toBe('configured-secret');
    expect(await readdir(dir)).toEqual([]);
  });

  it('gives the same secret for the file content pasted into config', async () => {
    const fromFile = await loadSigningSecret(dir);
    const content = await readFile(join(dir, '.signing_key'), 'utf8');
    expect((await loadSigningSecret(dir, content)).equals(fromFile)).toBe(true);
  });

  it('refuses an empty key file or explicit secret instead of signing with nothing', async () => {
    await writeFile(join(dir, '.signing_key'), '\n');
    await expect(loadSigningSecret(dir)).rejects.toThrow(/empty/);
    await expect(loadSigningSecret(dir, '')).rejects.toThrow(/empty/);
  });
});

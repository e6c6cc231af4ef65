/** The process logger: JSON lines to stderr, and also to a file when asked (what `cca logs` reads locally). */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsx = pathToFileURL(path.join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

describe('createLogger', () => {
  it('with { file }: every line on stderr and in the file (directory created), secrets redacted, level respected', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-logger-'));
    const file = path.join(dir, 'logs', 'cca.log');
    // A process of its own: the logger writes to the real fd 2, which only a parent can read.
    const script = `
      import { createLogger } from ${JSON.stringify(pathToFileURL(path.join(repo, 'src', 'logging', 'index.ts')).href)};
      const logger = createLogger('info', { file: ${JSON.stringify(file)} });
      logger.info({ req: { headers: { 'x-api-key': 'cca_secret' } } }, 'request');
      logger.debug('hidden');
      logger.error({ session: 's1' }, 'failed');`;
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', tsx, '--input-type=module', '-e', script]);
    const written = fs.readFileSync(file, 'utf8');
    for (const text of [stderr, written]) {
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.msg)).toEqual(['request', 'failed']);
      expect(lines[0]).toMatchObject({ level: 30, service: 'claude-code-agent', req: { headers: { 'x-api-key': '[redacted]' } } });
      expect(lines[1]).toMatchObject({ level: 50, session: 's1' });
    }
    expect(written).not.toContain('cca_secret');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the log file 0600 in a folder 0700, and tightens a log file an older release left readable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-logger-'));
    const file = path.join(dir, 'logs', 'cca.log');
    const { createLogger } = await import('./index.js');
    const umask = process.umask(0o022);
    try {
      createLogger('info', { file });
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      fs.chmodSync(file, 0o644);
      createLogger('info', { file });
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(umask);
      // The destinations open the file asynchronously: let them before the folder goes.
      await new Promise((r) => setTimeout(r, 200));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `npm start` as a newcomer types it: the real npm runs the package's prestart (the build when
 * something changed) and start scripts, and the flags npm takes for its own settings
 * (`npm start --port 0`) still reach `cca serve`, as do those after `--`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listening } from '../support/cca-banner.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('npm start', () => {
  it('starts cca serve with --port given to npm and --data-dir after --, and answers /health', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-npm-start-'));
    // Detached, so stopping it stops its whole group (npm, sh, node) and nothing outlives the test.
    const child = spawn('npm', ['start', '--port', '0', '--', '--data-dir', dataDir, '--log-level', 'silent'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cleanups.push(async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    const { url, banner } = await listening(child);
    // Port 0 reached cca (npm would have left "0" as a stray argument) and so did the data dir.
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:8080$/);
    expect(banner).toContain(`data dir: ${dataDir}`);
    expect(stderr).toContain('npm start: passing --port 0 on to cca serve');
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  }, 180_000);
});

/**
 * The `cca` command as a user runs it: a real process from bin/cca (the build in dist/, which
 * `npm test` makes first), the real Claude Code binary, the scripted model.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, startModelServer, text, toolUse, type ModelServer } from '../support/model-server.js';

const CCA = path.resolve(import.meta.dirname, '../../bin/cca');
const run = promisify(execFile);

describe('cca CLI', () => {
  let model: ModelServer;
  let dataDir: string;

  beforeAll(async () => {
    model = await startModelServer(
      scenarios({
        hello: [{ content: [toolUse('Write', { file_path: 'hello.py', content: 'print("hi")\n' })] }, { content: [text('done')] }],
      }),
    );
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-cli-'));
  });
  afterAll(async () => {
    await model?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('prints help and refuses an unknown command with status 2', async () => {
    const help = await run(CCA, ['--help']);
    expect(help.stdout).toMatch(/Usage: cca <command>/);
    expect(help.stdout).toMatch(/--data-dir DIR\s+CCA_DATA_DIR/);
    const bad = await run(CCA, ['frobnicate']).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/Unknown command "frobnicate"/);
  });

  it('refuses a bad flag value with a clear message and status 2', async () => {
    const bad = await run(CCA, ['serve', '--port', 'eighty', '--data-dir', dataDir]).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--port \/ CCA_PORT must be an integer/);
  });

  it('serves, runs the seed task, and stops cleanly on SIGTERM', async () => {
    const child = spawn(CCA, ['serve', '--port', '0', '--data-dir', dataDir], {
      env: {
        PATH: process.env.PATH,
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: 'sk-test',
        CCA_MODEL_MAX_RETRIES: '0',
        CCA_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await listeningUrl(child);
      const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        body: JSON.stringify({ prompt: '[[scenario:hello]] Create a hello world Python script' }),
      });
      const body = (await res.json()) as any;
      expect(res.status).toBe(200);
      expect(body.output.success).toBe(true);
      expect(await (await fetch(body.output.metadata.uploaded_files[0].download_url)).text()).toBe('print("hi")\n');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/** Reads the "listening on URL" line the service prints at start. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`cca exited with ${code} before listening:\n${out}\n${err}`)));
  });
}

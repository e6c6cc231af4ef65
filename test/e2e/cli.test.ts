/**
 * The `cca` command as a user runs it: a real process from bin/cca (the build in dist/, which
 * `npm test` makes first), the real Claude Code binary, the scripted model.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listening, SERVE_BANNER_END } from '../support/cca-banner.js';
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

  it("prints one command's help both ways and suggests the flag or command meant after a typo", async () => {
    const viaHelp = await run(CCA, ['help', 'invoke']);
    const viaFlag = await run(CCA, ['invoke', '--help']);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/--permission-mode MODE/);
    expect(viaHelp.stdout).toMatch(/--max-turns N/);
    const typo = await run(CCA, ['invoke', '--promt', 'x']).catch((err: { code: number; stderr: string }) => err);
    expect(typo).toMatchObject({ code: 2 });
    expect((typo as { stderr: string }).stderr).toMatch(/^cca: Unknown option '--promt'\. Usage: cca invoke "TASK" \[options\]/);
    const flag = await run(CCA, ['invoke', 'x', '--max-turn', '3']).catch((err: { code: number; stderr: string }) => err);
    expect(flag).toMatchObject({ code: 2 });
    expect((flag as { stderr: string }).stderr).toMatch(/Did you mean --max-turns\?/);
    const command = await run(CCA, ['sesions']).catch((err: { code: number; stderr: string }) => err);
    expect(command).toMatchObject({ code: 2 });
    expect((command as { stderr: string }).stderr).toMatch(/Unknown command "sesions".*Did you mean sessions\?/);
    expect((await run(CCA, ['--version'])).stdout).toBe((await run(CCA, ['version'])).stdout);
  });

  it('refuses a bad flag value with a clear message and status 2', async () => {
    const bad = await run(CCA, ['serve', '--port', 'eighty', '--data-dir', dataDir]).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--port \/ CCA_PORT must be an integer/);
  });

  it('serves with a first API key, runs the seed task through cca api and curl-style /invoke, and stops cleanly on SIGTERM', async () => {
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
      const { url, banner } = await listening(child, SERVE_BANNER_END);
      // The first start made a key, printed it, and saved it for `cca api` with mode 0600.
      const keyFile = path.join(dataDir, '.api_key');
      const key = (await fs.readFile(keyFile, 'utf8')).trim();
      expect(banner).toContain(key);
      expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);

      const api = await run(CCA, [
        'api',
        '[[scenario:hello]] Create a hello world Python script',
        '--endpoint',
        url,
        '--data-dir',
        dataDir,
      ]);
      expect(api.stdout).toMatch(/Success\./);
      expect(api.stdout).toMatch(/hello\.py/);

      const refused = await run(CCA, ['api', 'x', '--endpoint', url, '--api-key', 'cca_000000000000_wrong']).catch(
        (err: { code: number; stderr: string }) => err,
      );
      expect(refused).toMatchObject({ code: 1 });
      expect((refused as { stderr: string }).stderr).toMatch(/403 Forbidden/);
      expect((refused as { stderr: string }).stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace

      const res = await fetch(`${url}/invoke`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: JSON.stringify({ prompt: '[[scenario:hello]] Create a hello world Python script' }),
      });
      const body = (await res.json()) as any;
      expect(res.status).toBe(200);
      expect(await (await fetch(body.output.metadata.uploaded_files[0].download_url)).text()).toBe('print("hi")\n');

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('creates, lists and revokes keys', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-keys-'));
    try {
      const created = JSON.parse((await run(CCA, ['keys', 'create', '--name', 'ci', '--rate', '5', '--json', '--data-dir', dir])).stdout);
      expect(Object.keys(created).sort()).toEqual(['id', 'key', 'name', 'webhook_secret']);
      expect((await run(CCA, ['keys', 'list', '--data-dir', dir])).stdout).toMatch(new RegExp(`${created.id}.*ci.*active`));
      await run(CCA, ['keys', 'revoke', created.id, '--data-dir', dir]);
      expect((await run(CCA, ['keys', 'list', '--data-dir', dir])).stdout).toMatch(new RegExp(`${created.id}.*revoked`));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

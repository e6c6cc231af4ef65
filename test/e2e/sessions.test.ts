/**
 * Continued sessions, nested and binary files, links, failures and timeouts: each with the real
 * Claude Code binary against the scripted model.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, text, toolUse, userTexts, type ModelRequest } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const BINARY_HEX = '00ff10fe8000c3287f';

describe('sessions and files', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({
      responder: scenarios({
        nested: [
          {
            content: [
              toolUse('Write', { file_path: 'src/app/main.py', content: 'def main():\n    return 1\n' }),
              toolUse('Write', { file_path: 'docs/guide/intro.md', content: '# Intro\n' }),
            ],
          },
          {
            content: [
              toolUse('Bash', {
                command: `mkdir -p assets && printf '${hexToPrintf(BINARY_HEX)}' > assets/blob.bin`,
                description: 'write binary',
              }),
            ],
          },
          { content: [text('Created the project.')] },
          // Second invocation of the same session: change one file only.
          { content: [toolUse('Edit', { file_path: 'src/app/main.py', old_string: 'return 1', new_string: 'return 2' })] },
          { content: [text('Changed main.py.')] },
        ],
        links: [
          {
            content: [
              toolUse('Bash', {
                command: 'ln -s /etc/passwd passwd-link && ln -s / root-link && echo ok > real.txt',
                description: 'make links',
              }),
            ],
          },
          { content: [text('Made links.')] },
        ],
        // Every model call after the first fails: Claude Code may retry or recover, and must still fail.
        modelerror: (_req, turn) =>
          turn === 0
            ? { content: [toolUse('Write', { file_path: 'partial.txt', content: 'kept\n' })] }
            : { error: { status: 500, type: 'api_error', message: 'scripted upstream failure' } },
        slow: [
          { content: [toolUse('Write', { file_path: 'before-timeout.txt', content: 'written before the timeout\n' })] },
          { hang: true },
        ],
        turns: [
          { content: [toolUse('Write', { file_path: 'a.txt', content: 'a\n' })] },
          { content: [toolUse('Write', { file_path: 'b.txt', content: 'b\n' })] },
          { content: [toolUse('Write', { file_path: 'c.txt', content: 'c\n' })] },
          { content: [text('never reached')] },
        ],
      }),
    });
  });
  afterAll(async () => svc?.close());

  it('stores nested and binary files, then only what a continued session changed, with history carried over', async () => {
    const first = await svc.invoke({ prompt: '[[scenario:nested]] Scaffold a project' });
    expect(first.status).toBe(200);
    expect(first.body.output.success).toBe(true);
    const files1 = first.body.output.metadata.uploaded_files;
    expect(files1.map((f: any) => f.file_name).sort()).toEqual(['assets/blob.bin', 'docs/guide/intro.md', 'src/app/main.py']);
    const blob = files1.find((f: any) => f.file_name === 'assets/blob.bin');
    const bytes = Buffer.from(await (await fetch(blob.download_url)).arrayBuffer());
    expect(bytes.toString('hex')).toBe(BINARY_HEX);

    const sessionId = first.body.output.session_id;
    const mainRequestsBefore = svc.model.requests.filter((r) => r.kind === 'main').length;
    const second = await svc.invoke({ prompt: 'Now make main return 2', session_id: sessionId });
    expect(second.status).toBe(200);
    expect(second.body.output).toMatchObject({ success: true, session_id: sessionId, result: 'Changed main.py.' });
    const files2 = second.body.output.metadata.uploaded_files;
    expect(files2.map((f: any) => f.file_name)).toEqual(['src/app/main.py']);
    expect(await (await fetch(files2[0].download_url)).text()).toBe('def main():\n    return 2\n');
    expect(files2[0].key.split('/')[1]).not.toBe(files1[0].key.split('/')[1]);

    // The model saw the first turn's conversation in the second invocation.
    const resumed = svc.model.requests.filter((r) => r.kind === 'main').slice(mainRequestsBefore)[0] as ModelRequest;
    const texts = userTexts(resumed.body).join('\n');
    expect(texts).toContain('Scaffold a project');
    expect(texts).toContain('Now make main return 2');
  });

  it('never follows a symlink out of the workspace', async () => {
    const { body } = await svc.invoke({ prompt: '[[scenario:links]] make links', permission_mode: 'acceptAll' });
    const out = body.output;
    expect(out.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['real.txt']);
    const skipped = out.metadata.skipped_files.map((s: any) => [s.path, s.reason]).sort();
    expect(skipped).toEqual([
      ['passwd-link', 'symlink'],
      ['root-link', 'symlink'],
    ]);
    const stored = await listFiles(path.join(svc.dataDir, 'artifacts'));
    for (const file of stored) expect(await fs.readFile(file, 'utf8')).not.toContain('root:x:0:0');
  });

  it('reports a model error as a failure, with the error text and the files kept', async () => {
    const { status, body } = await svc.invoke({ prompt: '[[scenario:modelerror]] fail midway' });
    expect(status).toBe(200);
    expect(body.output.success).toBe(false);
    expect(body.output.stop_reason).toBe('error');
    expect(JSON.stringify(body.output.errors)).toContain('scripted upstream failure');
    expect(body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['partial.txt']);
  });

  it('times out, stores the partial files and says so', async () => {
    const started = Date.now();
    // 8 s: enough for Claude Code to start and write its file on a loaded 2-core machine (at 3 s the
    // write sometimes came too late while the container test compiled beside it).
    const { body } = await svc.invoke({ prompt: '[[scenario:slow]] take forever', timeout_s: 8 });
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(body.output).toMatchObject({ success: false, stop_reason: 'timeout' });
    expect(body.output.result).toMatch(/Timed out after 8 s/);
    expect(body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['before-timeout.txt']);
  });

  it('stops at max_turns and stores what was written', async () => {
    const { body } = await svc.invoke({ prompt: '[[scenario:turns]] many turns', max_turns: 2 });
    expect(body.output).toMatchObject({ success: false, stop_reason: 'max_turns' });
    expect(body.output.metadata.uploaded_files.map((f: any) => f.file_name).sort()).toEqual(['a.txt', 'b.txt']);
  });
});

function hexToPrintf(hex: string): string {
  return hex.replace(/(..)/g, '\\x$1');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

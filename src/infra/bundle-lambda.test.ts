import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../../scripts/bundle-lambda.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-bundle-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('scripts/bundle-lambda.mjs', () => {
  it('bundles a handler and the AWS SDK clients it uses into one ESM file that runs without node_modules', async () => {
    const entry = path.join(dir, 'handler.ts');
    // CommonJS inside the bundle calls require(): the createRequire banner must provide it.
    fs.writeFileSync(
      entry,
      [
        "import { S3Client } from '@aws-sdk/client-s3';",
        "import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';",
        'export async function handler(event: { body?: string }) {',
        "  const clients = [new S3Client({ region: 'us-east-1' }), new BedrockAgentCoreClient({ region: 'us-east-1' })];",
        '  return { statusCode: 200, body: JSON.stringify({ clients: clients.length, body: event.body ?? null }) };',
        '}',
      ].join('\n'),
    );
    const outfile = path.join(dir, 'out', 'index.mjs');
    await run(process.execPath, [script, '--entry', entry, '--outfile', outfile], { cwd: dir });

    const code = fs.readFileSync(outfile, 'utf8');
    expect(
      code.startsWith(
        "import { createRequire as __ccaCreateRequire } from 'node:module'; const require = __ccaCreateRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(code).not.toMatch(/from ["']@aws-sdk\//);
    // Loaded from a directory with no node_modules above it, as in the Lambda.
    const isolated = path.join(dir, 'isolated.mjs');
    fs.copyFileSync(outfile, isolated);
    const mod = (await import(pathToFileURL(isolated).href)) as {
      handler: (e: { body?: string }) => Promise<{ statusCode: number; body: string }>;
    };
    expect(await mod.handler({ body: 'x' })).toEqual({ statusCode: 200, body: '{"clients":2,"body":"x"}' });
  }, 60_000);

  it('fails when an explicit entry does not exist', async () => {
    await expect(
      run(process.execPath, [script, '--entry', path.join(dir, 'missing.ts'), '--outfile', path.join(dir, 'x.mjs')]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('does not exist'),
    });
  });
});

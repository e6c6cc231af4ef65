/**
 * End to end: HTTP request → service → the real Claude Code binary → scripted model → files stored.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const PY = 'print("Hello, World!")\n';

describe('POST /invocations with the real Claude Code binary', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({
      responder: scenarios({
        hello: [
          { content: [text('Creating the script.'), toolUse('Write', { file_path: 'hello.py', content: PY })] },
          { content: [text('Created hello.py.')] },
        ],
      }),
    });
  });
  afterAll(async () => svc?.close());

  it('runs the seed task and answers in the seed shape with a downloadable file', async () => {
    const { status, body } = await svc.invoke({ prompt: '[[scenario:hello]] Create a hello world Python script' });
    expect(status).toBe(200);
    const out = body.output;
    expect(out).toMatchObject({ success: true, result: 'Created hello.py.', stop_reason: 'completed' });
    expect(typeof out.session_id).toBe('string');
    expect(new Date(out.timestamp).toString()).not.toBe('Invalid Date');
    expect(typeof out.model).toBe('string');
    expect(out.metadata.num_turns).toBeGreaterThanOrEqual(2);
    expect(out.metadata.duration_ms).toBeGreaterThan(0);
    expect(out.metadata.uploaded_files).toHaveLength(1);
    const file = out.metadata.uploaded_files[0];
    expect(file).toMatchObject({
      file_name: 'hello.py',
      size: Buffer.byteLength(PY),
      sha256: createHash('sha256').update(PY).digest('hex'),
    });
    expect(file.key).toMatch(/^outputs\/\d{8}_\d{6}_[0-9a-f]{8}\/hello\.py$/);
    expect(typeof file.s3_url).toBe('string');
    expect(typeof file.console_url).toBe('string');
    const download = await fetch(file.download_url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(PY);
  });
});

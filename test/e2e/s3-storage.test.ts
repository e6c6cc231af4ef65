/**
 * The service with S3 storage against an S3-compatible server over HTTP (s3rver): presigned links,
 * the session state mirrored next to the files, and an outage that loses nothing.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SessionEventSchema } from '../../src/events/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastToolResults, scenarios, text, toolUse } from '../support/model-server.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.js';
import { startTestService, type TestService } from '../support/service.js';
import { multipartOf } from '../support/archives.js';
import { gunzipSync } from 'node:zlib';

let s3: TestS3Server;
let svc: TestService;
let key: string;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  s3 = await startS3Server();
  // The service's S3 client takes credentials from the SDK's default chain, as on AWS.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  svc = await startTestService({
    mode: 'serve',
    env: {
      CCA_STORAGE: `s3://${s3.bucket}/team-a`,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      CCA_S3_FORCE_PATH_STYLE: '1',
      AWS_REGION: 'ap-northeast-1',
      CCA_UPLOAD_RETRY_BASE_MS: '0',
    },
    responder: scenarios({
      hello: [{ content: [toolUse('Write', { file_path: 'hello.py', content: 'print("hello")\n' })] }, { content: [text('done')] }],
      second: [{ content: [toolUse('Write', { file_path: 'later.txt', content: 'stored later\n' })] }, { content: [text('done')] }],
      // Reads a copied input, then writes what it read to a new file.
      inputs: [
        { content: [toolUse('Bash', { command: 'cat data/notes.txt && ls -R', description: 'read the inputs' })] },
        (req) => {
          const read = lastToolResults(req.body)[0]?.content;
          const shown = typeof read === 'string' ? read : JSON.stringify(read);
          return { content: [toolUse('Write', { file_path: 'summary.txt', content: `read: ${shown}\n` })] };
        },
        { content: [text('done')] },
      ],
    }),
  });
  key = svc.runtime.keys.create('s3').key;
});

afterAll(async () => {
  await svc?.close();
  await s3?.close();
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
});

async function invoke(prompt: string, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${svc.url}/invoke`, {
    method: 'POST',
    headers: { 'x-api-key': key },
    body: JSON.stringify({ prompt, ...extra }),
  });
  return (await res.json()) as any;
}

async function objectText(objectKey: string): Promise<string> {
  const out = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: objectKey }));
  return (await out.Body?.transformToString()) ?? '';
}

describe('S3 storage', () => {
  it('stores the files in the bucket and answers with s3://, console and presigned links that work', async () => {
    const { output } = await invoke('[[scenario:hello]] Create a hello world Python script');
    expect(output.success).toBe(true);
    const [file] = output.metadata.uploaded_files;
    expect(file.key).toMatch(/^outputs\/\d{8}_\d{6}_[0-9a-f]{8}\/hello\.py$/);
    expect(file.s3_url).toBe(`s3://${s3.bucket}/team-a/${file.key}`);
    expect(file.console_url).toContain(`https://s3.console.aws.amazon.com/s3/object/${s3.bucket}?region=ap-northeast-1`);
    expect(new URL(file.download_url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(await (await fetch(file.download_url)).text()).toBe('print("hello")\n');
    expect(await objectText(`team-a/${file.key}`)).toBe('print("hello")\n');

    // The session's state is mirrored next to the files, for the API Lambda on AWS.
    await svc.runtime.service.mirrorsSettled();
    const state = JSON.parse(await objectText(`team-a/sessions/${output.session_id}/state.json`));
    expect(state).toMatchObject({ session_id: output.session_id, status: 'succeeded', invocation_id: output.invocation_id });
    expect(state.output.output.metadata.uploaded_files[0].file_name).toBe('hello.py');

    // Reading the session later presigns afresh.
    const detail = (await (await fetch(`${svc.url}/sessions/${output.session_id}`, { headers: { 'x-api-key': key } })).json()) as any;
    expect(await (await fetch(detail.invocations[0].files[0].download_url)).text()).toBe('print("hello")\n');
  });

  it('loses nothing when storage is down: the output lists the file as not stored, and the outbox stores it later', async () => {
    await s3.stop();
    const { output } = await invoke('[[scenario:second]] write something');
    expect(output.success).toBe(true);
    expect(output.metadata.uploaded_files).toEqual([]);
    expect(output.metadata.failed_uploads).toEqual([expect.objectContaining({ file_name: 'later.txt' })]);
    expect(output.errors.join(' ')).toMatch(/could not be stored; they are still in the session's workspace/);

    await s3.restart();
    const retried = await svc.runtime.outbox.retryDue();
    expect(retried.uploaded.map((f: any) => f.file_name)).toEqual(['later.txt']);
    // The invocation's record now lists it, with a link that works.
    const detail = (await (await fetch(`${svc.url}/sessions/${output.session_id}`, { headers: { 'x-api-key': key } })).json()) as any;
    const [file] = detail.invocations[0].files;
    expect(file.file_name).toBe('later.txt');
    expect(await (await fetch(file.download_url)).text()).toBe('stored later\n');
    expect(await objectText(`team-a/outputs/${output.metadata.storage_prefix.split('/')[1]}/later.txt`)).toBe('stored later\n');
  });

  it('input_s3_prefix: objects under inputs/<id>/ are copied into a new session, the run reads them, and changes do not list them', async () => {
    const put = (k: string, body: string) =>
      s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: `team-a/inputs/job-7/${k}`, Body: body }));
    await put('data/notes.txt', 'the answer is 42');
    await put('src/app/main.py', 'print("from s3")\n');
    const { output } = await invoke('[[scenario:inputs]] Summarize data/notes.txt', {
      input_s3_prefix: `s3://${s3.bucket}/team-a/inputs/job-7`,
    });
    expect(output.success).toBe(true);
    // The run read the copied file: what it wrote holds its text.
    const summary = output.metadata.uploaded_files.find((f: any) => f.file_name === 'summary.txt');
    expect(await (await fetch(summary.download_url)).text()).toMatch(/^read: the answer is 42/);
    // Only the run's own file is stored as output: the copied inputs are not re-uploaded.
    expect(output.metadata.uploaded_files.map((f: any) => f.file_name)).not.toContain('notes.txt');
    expect(output.metadata.uploaded_files.map((f: any) => f.file_name)).not.toContain('main.py');
    // The inputs are the starting point: only the run's own file is a change.
    expect(output.changes.since).toBe('session_start');
    expect(output.changes.files.map((f: any) => [f.path, f.status])).toEqual([['summary.txt', 'added']]);

    // The copy showed in the session's events.
    // The copy showed in the session's events (the stream of a finished session ends), valid by their schema.
    const sse = await (await fetch(`${svc.url}/sessions/${output.session_id}/events`, { headers: { 'x-api-key': key } })).text();
    const events = sse
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => SessionEventSchema.parse(JSON.parse(l.slice(6))));
    const preparing = events.filter((e) => e.type === 'workspace.preparing').map((e) => e.data);
    const source = `s3://${s3.bucket}/team-a/inputs/job-7/`;
    expect(preparing).toEqual([
      { phase: 'copying_inputs', source },
      { phase: 'ready', source, files: 2, bytes: 16 + 17 },
    ]);
  });

  it('input_s3_prefix: another bucket or a prefix outside inputs/ is a 400 before anything runs; an empty folder ends the invocation as workspace_error', async () => {
    const refused = async (input_s3_prefix: string) => {
      const res = await fetch(`${svc.url}/invoke`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: JSON.stringify({ prompt: 'x', input_s3_prefix }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const other = await refused('s3://someone-elses-bucket/inputs/job-7/');
    expect(other.status).toBe(400);
    expect(other.body.field).toBe('input_s3_prefix');
    const outside = await refused('team-a/outputs/');
    expect(outside.status).toBe(400);
    expect(outside.body.message).toMatch(/below team-a\/inputs\//);
    const dotdot = await refused('team-a/inputs/../sessions/');
    expect(dotdot.status).toBe(400);

    const { output } = await invoke('[[scenario:hello]] x', { input_s3_prefix: 'team-a/inputs/nothing-here/' });
    expect(output.success).toBe(false);
    expect(output.stop_reason).toBe('workspace_error');
    expect(output.result).toMatch(/no files under inputs\/nothing-here\//);
  });

  it('saves the session after an upload, so the files sent are in what any worker would restore', async () => {
    const session = 's3-upload-saved';
    const form = multipartOf([['file', 'src/app.py', 'print("uploaded")\n']]);
    const res = await fetch(`${svc.url}/sessions/${session}/files`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': form.contentType },
      body: form.body,
    });
    expect(res.status).toBe(201);
    const head = JSON.parse(await objectText(`team-a/sessions/${session}/saved/head.json`));
    expect(head).toMatchObject({ session_id: session, generation: 1, invocation_id: expect.stringMatching(/^upload-/) });
    const manifest = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: `team-a/${head.manifest.key}` }));
    const entries = JSON.parse(gunzipSync(Buffer.from(await (manifest.Body as any).transformToByteArray())).toString()).trees.workspace;
    expect(entries).toContainEqual(expect.objectContaining({ p: 'src/app.py', k: 'f', n: 18 }));
    // The session is not held after the upload: an invocation starts at once, and saves the next generation.
    const { output } = await invoke('[[scenario:hello]] go on', { session_id: session });
    expect(output.success).toBe(true);
    expect(output.session_state).toMatchObject({ restored: null, saved: { generation: 2 } });
  });
});

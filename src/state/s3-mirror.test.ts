import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import type { SessionStateRecord } from './index.js';
import { S3StateMirror } from './s3-mirror.js';

let s3: TestS3Server;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3Server();
  client = s3.client();
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});

const record = (sessionId: string, status: SessionStateRecord['status']): SessionStateRecord => ({
  session_id: sessionId,
  owner: 'key-1',
  invocation_id: '0a1b2c3d-0000-4000-8000-000000000000',
  status,
  prompt: 'Create a FastAPI server with a health check endpoint \u2713',
  updated_at: '2025-01-01T12:00:00.000Z',
  output: null,
});

describe('S3StateMirror', () => {
  it('writes JSON at <prefix>/sessions/<id>/state.json and reads the latest record back', async () => {
    const mirror = new S3StateMirror({ client, bucket: s3.bucket, prefix: 'cca/dev' });
    await mirror.put(record('s-1', 'running'));
    await mirror.put(record('s-1', 'succeeded'));
    expect(await mirror.get('s-1')).toEqual(record('s-1', 'succeeded'));

    const raw = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'cca/dev/sessions/s-1/state.json' }));
    expect(raw.ContentType).toBe('application/json');
    expect(JSON.parse((await raw.Body?.transformToString()) ?? '')).toMatchObject({ session_id: 's-1', status: 'succeeded' });
  });

  it('uses the bare key with an empty prefix', async () => {
    const mirror = new S3StateMirror({ client, bucket: s3.bucket, prefix: '' });
    await mirror.put(record('s-2', 'queued'));
    const raw = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'sessions/s-2/state.json' }));
    expect(raw.ContentType).toBe('application/json');
    expect(await new S3StateMirror({ client, bucket: s3.bucket, prefix: 'other' }).get('s-2')).toBeUndefined();
  });

  it('answers undefined for a session never mirrored, and for ids that cannot be sessions', async () => {
    const mirror = new S3StateMirror({ client, bucket: s3.bucket, prefix: 'cca/dev' });
    expect(await mirror.get('never-written')).toBeUndefined();
    expect(await mirror.get('../s-1')).toBeUndefined();
    await expect(mirror.put(record('a/../../b', 'queued'))).rejects.toThrow(/Invalid session id/);
  });

  it('throws when the bucket is missing instead of pretending the session has no state', async () => {
    const mirror = new S3StateMirror({ client, bucket: 'no-such-bucket', prefix: '' });
    await expect(mirror.get('s-1')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});

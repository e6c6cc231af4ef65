import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { invocationRecordOf } from './invocation-record.js';
import { S3EventSegments, S3InvocationRecords } from './s3-records.js';

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

const read = async (key: string) => {
  const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return { type: res.ContentType, text: (await res.Body?.transformToString()) ?? '' };
};

describe('the S3 invocation records and event segments', () => {
  it('writes a record at <prefix>/sessions/<id>/invocations/<invocation id>.json', async () => {
    const record = invocationRecordOf({
      session_id: 's-1',
      owner: null,
      invocation_id: 'inv-1',
      status: 'running',
      prompt: 'p',
      updated_at: '2025-01-01T00:00:00.000Z',
      output: null,
    });
    await new S3InvocationRecords({ client, bucket: s3.bucket, prefix: 'cca/dev' }).put(record);
    const got = await read('cca/dev/sessions/s-1/invocations/inv-1.json');
    expect(got.type).toBe('application/json');
    expect(JSON.parse(got.text)).toEqual(record);
  });

  it('writes a segment at <prefix>/sessions/<id>/events/<first id, 12 digits>.jsonl', async () => {
    await new S3EventSegments({ client, bucket: s3.bucket, prefix: '' }).put('s-1', 42, '{"id":42}\n');
    expect(await read('sessions/s-1/events/000000000042.jsonl')).toEqual({ type: 'application/x-ndjson', text: '{"id":42}\n' });
  });

  it('refuses ids that could address another object', async () => {
    const target = { client, bucket: s3.bucket, prefix: '' };
    await expect(new S3EventSegments(target).put('../s-1', 1, '')).rejects.toThrow(/Invalid session id/);
    await expect(new S3EventSegments(target).put('s-1', 0, '')).rejects.toThrow(/Invalid event id/);
    const record = { session_id: 's-1', invocation_id: 'a/../../b' } as Parameters<S3InvocationRecords['put']>[0];
    await expect(new S3InvocationRecords(target).put(record)).rejects.toThrow(/Invalid invocation id/);
  });
});

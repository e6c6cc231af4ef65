import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { s3Objects } from './objects.js';

const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('s3Objects', () => {
  const mock = mockClient(S3Client);
  afterEach(() => mock.reset());
  const objects = () => s3Objects(new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), 'bkt');

  it('creates with a conditional write and reports an existing object as not created', async () => {
    mock.on(PutObjectCommand).resolvesOnce({}).rejectsOnce(s3Error('PreconditionFailed', 412));
    expect(await objects().createJson('k.json', { a: 1 })).toBe(true);
    expect(await objects().createJson('k.json', { a: 2 })).toBe(false);
    expect(mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'bkt',
      Key: 'k.json',
      Body: '{"a":1}',
      ContentType: 'application/json',
      IfNoneMatch: '*',
    });
  });

  it('passes on other write errors', async () => {
    mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(objects().createJson('k.json', {})).rejects.toThrow('AccessDenied');
  });

  it('reads JSON, and a missing key as undefined', async () => {
    mock
      .on(GetObjectCommand, { Key: 'there.json' })
      .resolves({ Body: { transformToString: async () => '{"owner":"k"}' } as never })
      .on(GetObjectCommand, { Key: 'gone.json' })
      .rejects(s3Error('NoSuchKey', 404));
    expect(await objects().getJson('there.json')).toEqual({ owner: 'k' });
    expect(await objects().getJson('gone.json')).toBeUndefined();
  });

  it('reads again when an object is torn mid-rewrite, and gives up on one that stays broken', async () => {
    const body = (text: string) => ({ Body: { transformToString: async () => text } as never });
    mock.on(GetObjectCommand, { Key: 'torn.json' }).resolvesOnce(body('')).resolves(body('{"status":"running"}'));
    mock.on(GetObjectCommand, { Key: 'broken.json' }).resolves(body('{"sta'));
    expect(await objects().getJson('torn.json')).toEqual({ status: 'running' });
    await expect(objects().getJson('broken.json')).rejects.toThrow('broken.json is not valid JSON');
    expect(mock.commandCalls(GetObjectCommand, { Key: 'broken.json' })).toHaveLength(3);
  });

  it('does not take a missing bucket for a missing session', async () => {
    mock.on(GetObjectCommand).rejects(s3Error('NoSuchBucket', 404));
    await expect(objects().getJson('k.json')).rejects.toThrow('NoSuchBucket');
  });
});

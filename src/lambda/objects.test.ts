import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { memoryObjects, s3Objects, type ListOptions, type ListPage, type SessionObjects } from './objects.js';

const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('s3Objects', () => {
  // The mock replaces every S3Client's send while it lasts: the real server's tests below need it gone.
  let mock: ReturnType<typeof mockClient>;
  beforeAll(() => {
    mock = mockClient(S3Client);
  });
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());
  const objects = () => s3Objects(new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), 'bkt');

  it('reads an object again when the connection is cut while its body comes in, and reads a 403 (no listing) as missing', async () => {
    const cut = { transformToString: () => Promise.reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })) };
    const whole = { transformToString: () => Promise.resolve('{"ok":true}') };
    mock
      .on(GetObjectCommand)
      .resolvesOnce({ Body: cut as never })
      .resolvesOnce({ Body: whole as never })
      .rejectsOnce(s3Error('AccessDenied', 403));
    expect(await objects().getJson('a.json')).toEqual({ ok: true });
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(2);
    expect(await objects().getJson('missing.json')).toBeUndefined();
  });

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

describe('listing, in S3 and in memory alike', () => {
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

  const KEYS = [
    'p/sessions/a/owner.json',
    'p/sessions/a/events/000000000001.jsonl',
    'p/sessions/a/events/000000000007.jsonl',
    'p/sessions/b/owner.json',
    'p/sessions/c/state.json',
    'p/owners/k/sessions/8264_a',
    'p/owners/k/sessions/8265_b',
    'other/sessions/d/owner.json',
  ];

  /** Every page of a listing, through `next`. */
  async function pages(objects: SessionObjects, prefix: string, opts: ListOptions): Promise<ListPage[]> {
    const out: ListPage[] = [];
    let token: string | undefined;
    do {
      const page = await objects.list(prefix, { ...opts, token });
      out.push(page);
      token = page.next;
    } while (token !== undefined);
    return out;
  }
  const entries = (all: ListPage[]) => all.map((p) => [...p.keys, ...p.prefixes]);

  it.each<[string, string, ListOptions]>([
    ['everything under a prefix', 'p/sessions/', {}],
    ['after a key', 'p/sessions/a/events/', { startAfter: 'p/sessions/a/events/000000000001.jsonl' }],
    ['a page at a time', 'p/owners/k/sessions/', { maxKeys: 1 }],
    ['one entry per folder', 'p/sessions/', { delimiter: '/' }],
    ['one folder a page', 'p/sessions/', { delimiter: '/', maxKeys: 2 }],
  ])('lists %s', async (_name, prefix, opts) => {
    const memory = memoryObjects();
    for (const key of KEYS) {
      memory.data.set(key, '{}');
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: '{}' }));
    }
    const fromS3 = await pages(s3Objects(client, s3.bucket), prefix, opts);
    const fromMemory = await pages(memory, prefix, opts);
    expect(entries(fromS3).flat().length).toBeGreaterThan(0);
    // s3rver does not count folders against MaxKeys (S3 does, and so does the memory listing):
    // the pages may be cut differently, never the entries or their order.
    expect(entries(fromMemory).flat()).toEqual(entries(fromS3).flat());
    if (opts.delimiter === undefined) expect(entries(fromMemory)).toEqual(entries(fromS3));
    for (const page of fromMemory) expect(page.keys.length + page.prefixes.length).toBeLessThanOrEqual(opts.maxKeys ?? 1000);
  });

  it('writes JSON over what was there and reads text back', async () => {
    const objects = s3Objects(client, s3.bucket);
    await objects.putJson('w.json', { a: 1 });
    await objects.putJson('w.json', { a: 2 });
    expect(await objects.getText('w.json')).toBe('{"a":2}');
    expect(await objects.getText('nothing.json')).toBeUndefined();
  });
});

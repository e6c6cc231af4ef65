import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { S3ArtifactStore } from './s3-store.js';

const MiB = 1024 * 1024;
const key = 'outputs/20240309_070504_0a1b2c3d/src/r\u00e9sum\u00e9 (final).py';

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

const storeWith = (opts: Partial<ConstructorParameters<typeof S3ArtifactStore>[0]> = {}) =>
  new S3ArtifactStore({ client, bucket: s3.bucket, prefix: 'cca/dev', expiresInSeconds: 600, region: 'eu-west-3', ...opts });

const put = (store: S3ArtifactStore, k: string, data: Buffer, contentType = 'text/plain') =>
  store.put(k, Readable.from([data]), { size: data.length, contentType });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function objectBytes(fullKey: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: fullKey }));
  return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
}

describe('S3ArtifactStore', () => {
  it('stores under <prefix>/<key> and links to it: s3://, console and a presigned download with the exact bytes', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000 + 250;
    const store = storeWith({ now: () => now });
    const data = Buffer.concat([Buffer.from('print("\u00e9")\n'), randomBytes(50_000)]);
    await put(store, key, data, 'text/x-python; charset=utf-8');
    expect((await objectBytes(`cca/dev/${key}`)).equals(data)).toBe(true);

    const links = await store.links(key, 'http://ignored.example');
    expect(links.s3_url).toBe(`s3://cca-test/cca/dev/${key}`);
    expect(links.console_url).toBe(
      'https://s3.console.aws.amazon.com/s3/object/cca-test?region=eu-west-3&prefix=' +
        'cca%2Fdev%2Foutputs%2F20240309_070504_0a1b2c3d%2Fsrc%2Fr%C3%A9sum%C3%A9%20(final).py',
    );
    expect(links.expires_at).toBe(new Date(now - 250 + 600_000).toISOString());
    expect(links.download_url.startsWith(`${s3.endpoint}/cca-test/cca/dev/outputs/`)).toBe(true);
    expect(new URL(links.download_url).searchParams.get('X-Amz-Expires')).toBe('600');

    const res = await fetch(links.download_url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect(res.headers.get('content-type')).toBe('text/x-python; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%28final%29.py");
  });

  it('deletes an object under <prefix>/<key> (the retention sweep); deleting it again is no error', async () => {
    const store = storeWith();
    const k = 'outputs/20240309_070504_0a1b2c3d/old.txt';
    await put(store, k, Buffer.from('old'));
    expect((await objectBytes(`cca/dev/${k}`)).toString()).toBe('old');
    await store.delete(k);
    await expect(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `cca/dev/${k}` }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    await store.delete(k);
    await expect(storeWith({ bucket: 'no-such-bucket' }).delete(k)).rejects.toThrow(/Could not delete s3:\/\/no-such-bucket\/cca\/dev\//);
  });

  it('rejects with the error of a body that failed before it was read, and does not crash', async () => {
    const body = new PassThrough();
    body.destroy(new Error('gone before the upload'));
    await expect(storeWith().put('outputs/p/early.txt', body, { size: 1, contentType: 'text/plain' })).rejects.toThrow(
      /gone before the upload/,
    );
    await expect(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'cca/dev/outputs/p/early.txt' }))).rejects.toThrow();
  });

  it('stores at the bare key, with no leading slash, when the prefix is empty', async () => {
    const store = storeWith({ prefix: '' });
    const k = 'outputs/20240309_070504_0a1b2c3d/a.txt';
    await put(store, k, Buffer.from('no prefix'));
    expect((await objectBytes(k)).toString()).toBe('no prefix');
    const links = await store.links(k, '');
    expect(links.s3_url).toBe(`s3://cca-test/${k}`);
    expect(links.console_url).toMatch(/&prefix=outputs%2F20240309_070504_0a1b2c3d%2Fa\.txt$/);
    expect(await (await fetch(links.download_url)).text()).toBe('no prefix');
  });

  it('uploads a large file in parts and the presigned download has the same sha256', async () => {
    const store = storeWith({ partSize: 5 * MiB, queueSize: 2 });
    const data = randomBytes(12 * MiB);
    const k = 'outputs/20240309_070504_0a1b2c3d/big.bin';
    const before = s3.requests.length;
    // Many small chunks, as a file read stream delivers them.
    const chunks = Array.from({ length: 12 * 16 }, (_, i) => data.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
    await store.put(k, Readable.from(chunks), { size: data.length, contentType: 'application/octet-stream' });
    const parts = s3.requests.slice(before).filter((r) => r.startsWith('PUT ') && /[?&]partNumber=\d/.test(r));
    expect(parts).toHaveLength(3);
    const res = await fetch((await store.links(k, '')).download_url);
    expect(res.headers.get('content-length')).toBe(String(12 * MiB));
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(data));
  });

  it('presigned links stop working once expired', async () => {
    const store = storeWith({ expiresInSeconds: 1, now: () => Date.now() - 5000 });
    const k = 'outputs/20240309_070504_0a1b2c3d/old.txt';
    await put(store, k, Buffer.from('old'));
    const res = await fetch((await store.links(k, '')).download_url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('expired');
  });

  it('rejects keys that could escape or are ambiguous, and destroys the body', async () => {
    const store = storeWith();
    for (const bad of ['../x', 'outputs//a', '/outputs/a', 'outputs/./a', 'a\\b']) {
      const body = Readable.from([Buffer.from('x')]);
      await expect(store.put(bad, body, { size: 1, contentType: 'x' }), bad).rejects.toThrow(/Invalid storage key/);
      expect(body.destroyed).toBe(true);
      await expect(Promise.resolve().then(() => store.links(bad, ''))).rejects.toThrow(/Invalid storage key/);
    }
    expect(() => storeWith({ prefix: '/abs' })).toThrow(/prefix/);
    expect(() => storeWith({ expiresInSeconds: 8 * 86_400 })).toThrow(/7 days/);
  });

  it('fails with the S3 error named when the bucket does not exist', async () => {
    const store = storeWith({ bucket: 'no-such-bucket' });
    await expect(put(store, 'outputs/x/a.txt', Buffer.from('a'))).rejects.toThrow(
      /Could not store s3:\/\/no-such-bucket\/cca\/dev\/outputs\/x\/a\.txt: NoSuchBucket/,
    );
  });

  it("fails after the client's retries when the server is down, and destroys the body", async () => {
    const store = storeWith({ client: s3.client({ maxAttempts: 2 }) });
    await s3.stop();
    const body = Readable.from([Buffer.from('abc')]);
    try {
      const err = await store.put('outputs/x/down.txt', body, { size: 3, contentType: 'x' }).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^Could not store s3:\/\/cca-test\/cca\/dev\/outputs\/x\/down\.txt: .*ECONNREFUSED/);
      expect(((err as Error).cause as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(2);
      expect(body.destroyed).toBe(true);
    } finally {
      await s3.restart();
    }
  });

  it('leaves no object behind when the server goes away in the middle of a multipart upload', async () => {
    const store = storeWith({ partSize: 5 * MiB, queueSize: 1, client: s3.client({ maxAttempts: 1 }) });
    const k = 'outputs/20240309_070504_0a1b2c3d/cut.bin';
    async function* body() {
      yield randomBytes(6 * MiB); // part 1 goes out
      await new Promise((r) => setTimeout(r, 200));
      await s3.stop();
      yield randomBytes(6 * MiB);
    }
    const stream = Readable.from(body());
    const before = s3.requests.length;
    try {
      await expect(store.put(k, stream, { size: 12 * MiB, contentType: 'x' })).rejects.toThrow(/Could not store/);
      expect(stream.destroyed).toBe(true);
    } finally {
      await s3.restart();
    }
    // The upload really was under way: the multipart upload was created and its first part sent.
    const sent = s3.requests.slice(before).filter((r) => r.includes('/cut.bin?'));
    expect(sent.some((r) => r.startsWith('POST ') && r.includes('uploads'))).toBe(true);
    expect(sent.some((r) => r.startsWith('PUT ') && r.includes('partNumber=1'))).toBe(true);
    await expect(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `cca/dev/${k}` }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('S3ArtifactStore.readable', () => {
  it('lists under <prefix>/ with keys relative to the store and reads an object back as a stream', async () => {
    const store = storeWith();
    await put(store, 'inputs/r1/a.txt', Buffer.from('alpha'));
    await put(store, 'inputs/r1/b/c.txt', Buffer.from('gamma!'));
    await put(store, 'inputs/r10/not-this.txt', Buffer.from('x'));
    const listed = [];
    for await (const o of store.readable.list('inputs/r1/', 100)) listed.push(o);
    expect(listed).toEqual([
      { key: 'inputs/r1/a.txt', size: 5 },
      { key: 'inputs/r1/b/c.txt', size: 6 },
    ]);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.readable.get('inputs/r1/b/c.txt')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('gamma!');
    await expect(store.readable.get('inputs/r1/missing.txt')).rejects.toThrow(
      /Could not read s3:\/\/cca-test\/cca\/dev\/inputs\/r1\/missing.txt: NoSuchKey/,
    );
  });

  // s3rver cannot page ListObjectsV2 here (its continuation tokens use DES, which OpenSSL 3 refuses):
  // the paging is checked against a client that answers the way S3 documents it.
  it('follows continuation tokens page after page, and stops at max', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `cca/dev/inputs/p/f${i}`);
    const asked: { Prefix?: string; ContinuationToken?: string; MaxKeys?: number }[] = [];
    const fake = {
      send: async (command: { input: { Prefix?: string; ContinuationToken?: string; MaxKeys?: number } }) => {
        asked.push(command.input);
        const start = Number(command.input.ContinuationToken ?? 0);
        const end = Math.min(keys.length, start + (command.input.MaxKeys ?? 1000));
        return {
          Contents: keys.slice(start, end).map((Key) => ({ Key, Size: 1 })),
          IsTruncated: end < keys.length,
          NextContinuationToken: end < keys.length ? String(end) : undefined,
        };
      },
    } as unknown as S3Client;
    const store = storeWith({ client: fake, listPageSize: 3 });
    const all = [];
    for await (const o of store.readable.list('inputs/p/', 100)) all.push(o.key);
    expect(all).toEqual(keys.map((k) => k.slice('cca/dev/'.length)));
    expect(asked.map((a) => [a.Prefix, a.ContinuationToken, a.MaxKeys])).toEqual([
      ['cca/dev/inputs/p/', undefined, 3],
      ['cca/dev/inputs/p/', '3', 3],
      ['cca/dev/inputs/p/', '6', 3],
    ]);
    const some = [];
    for await (const o of store.readable.list('inputs/p/', 4)) some.push(o.key);
    expect(some).toHaveLength(4);
  });
});

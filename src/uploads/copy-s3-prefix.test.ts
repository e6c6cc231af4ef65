import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { S3ArtifactStore, type ReadableStore } from '../artifacts/index.js';
import { toErrorResponse } from '../errors/index.js';
import { copyS3Prefix, inputsFolder } from './copy-s3-prefix.js';
import { uploadLimits, type UploadLimits } from './upload-limits.js';

const MiB = 1024 * 1024;
let s3: TestS3Server;
let client: S3Client;
let store: S3ArtifactStore;
let root: string;
let workspace: string;

beforeAll(async () => {
  s3 = await startS3Server();
  client = s3.client();
  // A deployment prefix, as `CCA_STORAGE=s3://bucket/team-a` makes: keys given to the store are relative to it.
  store = new S3ArtifactStore({ client, bucket: s3.bucket, prefix: 'team-a', expiresInSeconds: 600, region: 'us-east-1' });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cca-s3in-'));
  workspace = path.join(root, 'session', 'workspace');
  await mkdir(workspace, { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const put = (key: string, body: string | Buffer) =>
  client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `team-a/${key}`, Body: body }));

function limits(over: Partial<UploadLimits> = {}): UploadLimits {
  return { ...uploadLimits({ maxBytes: 10 * MiB, maxFiles: 50 }, {}, { diskMb: 1024, usedBytes: 0 }), ...over };
}

const copy = (prefix: string, over: Partial<UploadLimits> = {}, readable: ReadableStore = store.readable) =>
  copyS3Prefix(readable, prefix, { sessionRoot: path.join(root, 'session'), workspace, limits: limits(over), owner: undefined });

/** What the caller gets for a refused copy: status and JSON body. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return toErrorResponse(err);
}

/** Every path under the workspace, and proof that no staging folder was left behind. */
async function tree(): Promise<string[]> {
  expect((await readdir(path.join(root, 'session'))).filter((n) => n.startsWith('.upload-'))).toEqual([]);
  return (await readdir(workspace, { recursive: true })).sort();
}

describe('copyS3Prefix', () => {
  it('copies every object under the prefix to its key minus the prefix, nested folders included; folder markers are skipped', async () => {
    const big = randomBytes(300_000);
    await put('inputs/job-1/README.md', '# hello\n');
    await put('inputs/job-1/src/app/main.py', 'print("hi")\n');
    await put('inputs/job-1/data/', '');
    await put('inputs/job-1/data/blob.bin', big);
    await put('inputs/job-10/other.txt', 'not this one: job-10 is another folder');
    await put('inputs/job-2/elsewhere.txt', 'nor this');

    const result = await copy('inputs/job-1');
    expect(result.files).toEqual([
      { path: 'README.md', size: 8 },
      { path: 'data/blob.bin', size: big.length },
      { path: 'src/app/main.py', size: 12 },
    ]);
    expect(result.bytes).toBe(8 + 12 + big.length);
    expect(await tree()).toEqual(['README.md', 'data', 'data/blob.bin', 'src', 'src/app', 'src/app/main.py']);
    expect(await readFile(path.join(workspace, 'src/app/main.py'), 'utf8')).toBe('print("hi")\n');
    expect((await readFile(path.join(workspace, 'data/blob.bin'))).equals(big)).toBe(true);
  });

  it('refuses a hostile key (.. or an absolute path after the prefix) and writes nothing', async () => {
    // S3 keys are opaque: `..` and `//` are plain names there (s3rver cannot store them, so the
    // listing is the real one plus the hostile key), but never a way out of the workspace here.
    await put('inputs/hostile/ok.txt', 'fine');
    const withKey = (hostile: string): ReadableStore => ({
      async *list(prefix, max) {
        yield* store.readable.list(prefix, max);
        yield { key: hostile, size: 5 };
      },
      get: (key, signal) => store.readable.get(key, signal),
    });
    const dotdot = await refusal(copy('inputs/hostile/', {}, withKey('inputs/hostile/../../etc/passwd')));
    expect(dotdot.status).toBe(400);
    expect(dotdot.body).toMatchObject({ entry: 'inputs/hostile/../../etc/passwd', reason: 'the path has a ".." segment' });
    const absolute = await refusal(copy('inputs/hostile/', {}, withKey('inputs/hostile//etc/passwd')));
    expect(absolute.status).toBe(400);
    expect(absolute.body).toMatchObject({ entry: 'inputs/hostile//etc/passwd', reason: 'the path is absolute' });
    expect(await tree()).toEqual([]);
    // Without it, the same prefix copies.
    expect((await copy('inputs/hostile/')).files).toEqual([{ path: 'ok.txt', size: 4 }]);
  });

  it('counts the bytes as they arrive: a listing that understates a size still stops at the byte limit (413), nothing written', async () => {
    await put('inputs/lies/small.txt', 'ok');
    await put('inputs/lies/huge.bin', randomBytes(2 * MiB));
    const understated: ReadableStore = {
      async *list(prefix, max) {
        for await (const o of store.readable.list(prefix, max)) yield { ...o, size: 1 };
      },
      get: (key, signal) => store.readable.get(key, signal),
    };
    const { status, body } = await refusal(copy('inputs/lies/', { maxBytes: 1 * MiB, maxEntryBytes: 1 * MiB }, understated));
    expect(status).toBe(413);
    expect(body).toMatchObject({ limit_name: 'upload_bytes', limit: MiB });
    expect(await tree()).toEqual([]);

    // The honest listing is refused before any byte is read.
    const listed = await refusal(copy('inputs/lies/', { maxBytes: 1 * MiB, maxEntryBytes: 1 * MiB }));
    expect(listed.status).toBe(413);
  });

  it('stops at the run disk room and at the file count (413), nothing written', async () => {
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => put(`inputs/count/${n}.txt`, n.repeat(100))));
    const files = await refusal(copy('inputs/count/', { maxFiles: 3 }));
    expect(files.status).toBe(413);
    expect(files.body).toMatchObject({ limit_name: 'upload_files', limit: 3 });
    const disk = await refusal(copy('inputs/count/', { diskRoomBytes: 250 }));
    expect(disk.body).toMatchObject({ limit_name: 'run_disk' });
    expect(await tree()).toEqual([]);
  });

  it('refuses a prefix outside inputs/ or with "..", and an empty one', async () => {
    for (const bad of ['inputs/../outputs/', 'outputs/x/', 'inputs/', 'inputs//x', 'inputs/./x']) {
      const { status, body } = await refusal(copy(bad));
      expect(status, bad).toBe(400);
      expect(body.field).toBe('input_s3_prefix');
    }
    expect(inputsFolder('inputs/a/b')).toBe('inputs/a/b/');
    const empty = await refusal(copy('inputs/nothing-here/'));
    expect(empty.body.message).toMatch(/no files under inputs\/nothing-here\//);
  });
});

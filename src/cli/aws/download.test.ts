/**
 * `cca download`: from the local store's directory, and from S3 through the real SDK against
 * s3rver (real HTTP, path style, endpoint from AWS_ENDPOINT_URL_S3). Keys that would land outside
 * --out are refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordingIo } from '../../../test/support/aws-fakes.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../../../test/support/s3-server.js';
import { downloadCommand } from '../entries.js';
import { writeDeployment } from './deployment.js';
import { safeRelative } from './download.js';

const OLD = '20250601_100000_aaaaaaaa';
const NEW = '20250602_100000_bbbbbbbb';

function put(root: string, key: string, body: string): void {
  const file = path.join(root, ...key.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body);
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('cca download from local storage', () => {
  let cwd: string;
  let artifacts: string;

  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-download-'));
    artifacts = path.join(cwd, '.cca', 'artifacts');
    put(artifacts, `outputs/${OLD}/old.txt`, 'old\n');
    put(artifacts, `outputs/${NEW}/hello.py`, 'print("hi")\n');
    put(artifacts, `outputs/${NEW}/src/app/main.ts`, 'export {};\n');
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('copies the newest invocation by default, keeping the layout under --out, with progress', async () => {
    const io = recordingIo();
    expect(await downloadCommand([], {}, io, { cwd })).toBe(0);
    expect(filesUnder(path.join(cwd, 'downloads'))).toEqual([`${NEW}/hello.py`, `${NEW}/src/app/main.ts`]);
    expect(fs.readFileSync(path.join(cwd, 'downloads', NEW, 'hello.py'), 'utf8')).toBe('print("hi")\n');
    expect(io.out).toContain(`Newest invocation: ${NEW}`);
    expect(io.out).toContain('Downloading 2 files (23 B)');
    expect(io.out).toContain(`[1/2] ${NEW}/hello.py  12 B  (12 B of 23 B)`);
    expect(io.out).toContain(`[2/2] ${NEW}/src/app/main.ts  11 B  (23 B of 23 B)`);
    expect(io.out).toContain('Downloaded 2 of 2 files (23 B)');
  });

  it('takes a PREFIX (with or without outputs/), --all, --out and --data-dir', async () => {
    const io = recordingIo();
    expect(await downloadCommand([`outputs/${OLD.slice(0, 8)}`, '--out', 'mine'], {}, io, { cwd })).toBe(0);
    expect(filesUnder(path.join(cwd, 'mine'))).toEqual([`${OLD}/old.txt`]);
    expect(io.out).toMatch(/Downloading 1 file \(/);
    expect(io.out).toMatch(/Downloaded 1 of 1 file \(/);

    const moved = path.join(cwd, 'elsewhere');
    fs.renameSync(path.join(cwd, '.cca'), moved);
    expect(await downloadCommand(['--all', '--out', 'all', '--data-dir', 'elsewhere'], {}, recordingIo(), { cwd })).toBe(0);
    expect(filesUnder(path.join(cwd, 'all'))).toEqual([`${OLD}/old.txt`, `${NEW}/hello.py`, `${NEW}/src/app/main.ts`]);

    const none = recordingIo();
    expect(await downloadCommand(['29990101'], { CCA_DATA_DIR: 'elsewhere' }, none, { cwd })).toBe(1);
    expect(none.err).toContain('no stored files under outputs/29990101');
    const bad = recordingIo();
    expect(await downloadCommand(['../etc'], {}, bad, { cwd })).toBe(2);
  });

  it('never follows a link in the store, and never writes through a link in --out', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret\n');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(artifacts, 'outputs', NEW, 'leak.txt'));
    // --out already has the invocation folder as a link to somewhere else.
    fs.mkdirSync(path.join(cwd, 'downloads'));
    fs.symlinkSync(outside, path.join(cwd, 'downloads', NEW));
    const io = recordingIo();
    expect(await downloadCommand([], {}, io, { cwd })).toBe(1);
    expect(io.out).toContain('Downloading 2 files'); // leak.txt is not listed
    expect(io.err).toContain('leads outside');
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('says when nothing is stored yet', async () => {
    const io = recordingIo();
    expect(await downloadCommand([], {}, io, { cwd: fs.mkdtempSync(path.join(cwd, 'empty-')) })).toBe(1);
    expect(io.err).toContain('nothing stored yet');
  });
});

describe('cca download from S3 (s3rver, real HTTP)', () => {
  let s3: TestS3Server;
  let client: S3Client;
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'cca-download' });
    client = s3.client();
    const objects: [string, string][] = [
      [`team/outputs/${OLD}/old.txt`, 'old\n'],
      [`team/outputs/${NEW}/hello.py`, 'print("hi")\n'],
      [`team/outputs/${NEW}/docs/README.md`, '# hi\n'],
      // A key with backslashes would be a path with separators on Windows and in some tools.
      [`team/outputs/${NEW}/..\\..\\evil.txt`, 'evil\n'],
      ['other/outputs/20990101_000000_cccccccc/not-mine.txt', 'x\n'],
    ];
    for (const [Key, Body] of objects) await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body }));
    env = { ...S3RVER_ENV(), AWS_ENDPOINT_URL_S3: s3.endpoint, CCA_S3_FORCE_PATH_STYLE: '1' };
  });
  afterAll(async () => s3?.close());
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-download-s3-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('lists under <prefix>/outputs/, picks the newest invocation, downloads it and refuses the unsafe key', async () => {
    const io = recordingIo();
    expect(await downloadCommand(['--storage', `s3://${s3.bucket}/team`], env, io, { cwd })).toBe(1);
    expect(io.out).toContain(`Newest invocation: ${NEW}`);
    expect(filesUnder(path.join(cwd, 'downloads'))).toEqual([`${NEW}/docs/README.md`, `${NEW}/hello.py`]);
    expect(fs.readFileSync(path.join(cwd, 'downloads', NEW, 'docs', 'README.md'), 'utf8')).toBe('# hi\n');
    expect(io.err).toMatch(/refused ".*evil\.txt": it would be written outside/);
    expect(io.out).toContain('Downloaded 2 of 3 files');
    // Real requests went to the server: a delimited listing for the folders, then the objects.
    expect(s3.requests.some((r) => r.startsWith('GET /cca-download/?') && r.includes('delimiter=%2F'))).toBe(true);
    expect(s3.requests.some((r) => r.startsWith(`GET /cca-download/team/outputs/${NEW}/hello.py`))).toBe(true);
  });

  it("uses deployment.json's bucket when no storage is named", async () => {
    writeDeployment(cwd, {
      region: 'us-east-1',
      stack: 's',
      bucket: s3.bucket,
      repository_uri: 'r',
      runtime_arn: 'arn',
      runtime_id: 'id',
      model_id: 'm',
      image_tag: 't',
      deployed_at: '2025-06-01T00:00:00.000Z',
    });
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'outputs/20250605_000000_dddddddd/root.txt', Body: 'root\n' }));
    const io = recordingIo();
    expect(await downloadCommand(['--all', '--out', 'everything'], env, io, { cwd })).toBe(0);
    // The bucket's own outputs/ only: team/ and other/ are other storage prefixes.
    expect(filesUnder(path.join(cwd, 'everything'))).toEqual(['20250605_000000_dddddddd/root.txt']);
    expect(io.out).toContain(`from s3://${s3.bucket} to`);
  });
});

describe('cca download: keys with ".." (what S3 stores as it is; s3rver cannot hold them)', () => {
  it('refuses them and writes nothing outside --out', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-download-dots-'));
    // Mocked here only because s3rver normalizes ".." in paths; AWS S3 keeps such keys.
    const client = new S3Client({ region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
    const s3 = mockClient(client);
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: `outputs/${NEW}/../../../escaped.txt`, Size: 5 },
        { Key: `outputs/${NEW}/a/../../../b.txt`, Size: 1 },
      ],
    });
    const io = recordingIo();
    expect(await downloadCommand([NEW, '--storage', 's3://any-bucket'], {}, io, { cwd, clients: { s3: client } })).toBe(1);
    expect(io.err.match(/refused/g)).toHaveLength(2);
    expect(fs.existsSync(path.join(cwd, '..', 'escaped.txt'))).toBe(false);
    expect(filesUnder(cwd)).toEqual([]);
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('safeRelative keeps only plain relative keys under outputs/', () => {
    expect(safeRelative(`outputs/${NEW}/src/a.ts`)).toEqual([NEW, 'src', 'a.ts']);
    for (const key of [
      'outputs/../x',
      '/outputs/x',
      'outputs//x',
      'outputs/x/./y',
      'outputs/a\\b',
      'sessions/x',
      'outputs',
      'outputs/a\0b',
    ]) {
      expect(safeRelative(key)).toBeUndefined();
    }
  });
});

function S3RVER_ENV(): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
}

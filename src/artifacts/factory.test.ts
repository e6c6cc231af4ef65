import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { loadConfig } from '../config/index.js';
import { createArtifactStore } from './factory.js';
import { LocalArtifactStore } from './local-store.js';
import { S3ArtifactStore } from './s3-store.js';
import { UrlSigner } from './signer.js';

const signer = new UrlSigner(Buffer.from('factory-test-secret'));

let s3: TestS3Server;
let dir: string;
beforeAll(async () => {
  s3 = await startS3Server();
  dir = await mkdtemp(join(tmpdir(), 'cca-factory-'));
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createArtifactStore', () => {
  it('builds the local store under <dataDir>/artifacts by default', async () => {
    const setup = createArtifactStore(loadConfig({ 'data-dir': dir }, {}), signer);
    expect(setup.store).toBeInstanceOf(LocalArtifactStore);
    expect(setup.local).toBe(setup.store);
    expect(setup.s3).toBeUndefined();
    expect((await setup.store.links('outputs/x/a.txt', 'http://h')).s3_url).toBe(`file://${dir}/artifacts/outputs/x/a.txt`);
  });

  it('builds an S3 store whose client uses the configured region, endpoint, path style and 3 attempts', async () => {
    const env = {
      CCA_STORAGE: `s3://${s3.bucket}/team/agent`,
      AWS_REGION: 'eu-west-3',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      CCA_S3_FORCE_PATH_STYLE: '1',
      CCA_DOWNLOAD_URL_TTL_S: '120',
    };
    const setup = createArtifactStore(loadConfig({ 'data-dir': dir }, env), signer);
    expect(setup.store).toBeInstanceOf(S3ArtifactStore);
    expect(setup.local).toBeUndefined();
    expect(setup.s3).toMatchObject({ bucket: s3.bucket, prefix: 'team/agent' });
    const client = setup.s3?.client;
    if (client === undefined) throw new Error('no client');
    expect(await client.config.region()).toBe('eu-west-3');
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.maxAttempts()).toBe(3);

    // Credentials come from the SDK's own chain (here: the environment), never from our config.
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    const data = Buffer.from('through the factory');
    await setup.store.put('outputs/x/a.txt', Readable.from([data]), { size: data.length, contentType: 'text/plain' });
    const links = await setup.store.links('outputs/x/a.txt', '');
    expect(links.s3_url).toBe(`s3://${s3.bucket}/team/agent/outputs/x/a.txt`);
    expect(links.console_url).toContain('?region=eu-west-3&prefix=team%2Fagent%2Foutputs%2Fx%2Fa.txt');
    expect(links.download_url.startsWith(`${s3.endpoint}/${s3.bucket}/team/agent/outputs/x/a.txt?`)).toBe(true);
    expect(new URL(links.download_url).searchParams.get('X-Amz-Expires')).toBe('120');
    expect(await (await fetch(links.download_url)).text()).toBe('through the factory');
    client.destroy();
  });
});

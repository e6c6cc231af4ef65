/**
 * A real S3-compatible server for tests (s3rver, in this process) on 127.0.0.1 with an OS-assigned
 * port, that can be stopped and started again on the same port and directory to play an outage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/artifacts/factory.js';

/** The keys s3rver accepts (it checks SigV4 signatures, so these must be used). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer: Server;
  /** Koa's middleware list: s3rver is a Koa app. */
  middleware: KoaMiddleware[];
  store: { getMetadata(bucket: string, key: string): Promise<Record<string, string>> };
}
interface KoaContext {
  method: string;
  path: string;
  status: number;
  body: unknown;
  type: string;
  get(name: string): string;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
type S3rverClass = new (opts: Record<string, unknown>) => S3rverInstance;
const require = createRequire(import.meta.url);

/**
 * s3rver seals ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node 18+) no
 * longer offers: every truncated listing failed with InternalError. Triple DES with the key three
 * times over is single DES, so "des" is answered with that; nothing else changes.
 */
function allowSingleDes(): void {
  const crypto = require('node:crypto') as typeof import('node:crypto') & { desPatched?: boolean };
  if (crypto.desPatched) return;
  const { createCipheriv, createDecipheriv } = crypto;
  const triple = (key: unknown) => Buffer.concat([key as Buffer, key as Buffer, key as Buffer]);
  crypto.createCipheriv = ((alg: string, key: Buffer, iv: Buffer, opts?: never) =>
    alg === 'des' ? createCipheriv('des-ede3-cbc', triple(key), iv, opts) : createCipheriv(alg, key, iv, opts)) as typeof createCipheriv;
  crypto.createDecipheriv = ((alg: string, key: Buffer, iv: Buffer, opts?: never) =>
    alg === 'des'
      ? createDecipheriv('des-ede3-cbc', triple(key), iv, opts)
      : createDecipheriv(alg, key, iv, opts)) as typeof createDecipheriv;
  crypto.desPatched = true;
}
allowSingleDes();

// s3rver is CommonJS without type declarations.
const S3rver = require('s3rver') as S3rverClass;

export interface TestS3Server {
  endpoint: string;
  port: number;
  bucket: string;
  /** Requests received, as "METHOD /path?query" (to check that an upload went in parts). */
  requests: string[];
  /** A client for this server: path style, s3rver's keys, few and quick retries. */
  client(overrides?: S3ClientConfig): S3Client;
  /** Stops listening and cuts open connections: the outage. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops (if running) and deletes the data. */
  close(): Promise<void>;
}

/** Starts s3rver with one bucket (default "cca-test"). */
export async function startS3Server(opts: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = opts.bucket ?? 'cca-test';
  const directory = await mkdtemp(join(tmpdir(), 'cca-s3rver-'));
  const requests: string[] = [];
  let server: S3rverInstance | undefined;
  const listen = async (port: number) => {
    const instance = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] });
    instance.middleware.unshift(conditionalWrites(instance));
    const address = await instance.run();
    instance.httpServer.on('request', (req: { method?: string; url?: string }) => requests.push(`${req.method} ${req.url}`));
    server = instance;
    return address.port;
  };
  const port = await listen(0);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const running = server;
    server = undefined;
    if (running === undefined) return;
    const closed = running.close();
    running.httpServer.closeAllConnections();
    await closed;
  };
  return {
    endpoint,
    port,
    bucket,
    requests,
    client: (overrides = {}) =>
      createS3Client(
        { region: 'us-east-1', s3Endpoint: endpoint, s3ForcePathStyle: true },
        { credentials: S3RVER_CREDENTIALS, maxAttempts: 2, ...overrides },
      ),
    stop,
    restart: async () => {
      await stop();
      await listen(port);
    },
    close: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * S3's conditional writes (`If-None-Match: *` and `If-Match: <etag>` on PutObject), which S3 has
 * had since 2024 and s3rver predates: the same answers S3 gives (412 PreconditionFailed; 404
 * NoSuchKey for If-Match on a missing key), one conditional write of a key at a time.
 */
function conditionalWrites(instance: S3rverInstance): KoaMiddleware {
  const tails = new Map<string, Promise<void>>();
  return async (ctx, next) => {
    const noneMatch = ctx.get('if-none-match');
    const match = ctx.get('if-match');
    if (ctx.method !== 'PUT' || (noneMatch === '' && match === '') || ctx.get('x-amz-copy-source') !== '') return next();
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const previous = tails.get(`${bucket}/${key}`) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    tails.set(`${bucket}/${key}`, mine);
    await previous;
    try {
      const etag = await instance.store.getMetadata(bucket, key).then(
        (m) => m.etag,
        () => undefined,
      );
      const fail = (status: number, code: string, message: string) => {
        ctx.status = status;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
      };
      if (noneMatch === '*' && etag !== undefined)
        return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      if (match !== '' && etag === undefined) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
      if (match !== '' && match !== etag)
        return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      await next();
    } finally {
      done();
      if (tails.get(`${bucket}/${key}`) === mine) tails.delete(`${bucket}/${key}`);
    }
  };
}

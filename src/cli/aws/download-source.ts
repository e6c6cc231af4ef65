/**
 * Where `cca download` reads stored files from: the local store's directory or an S3 bucket. Both
 * list keys relative to the storage root (`outputs/<invocation>/<path>`) and open one as a stream.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface StoredObject {
  /** `outputs/<invocation>/<path>`, relative to the storage root. */
  key: string;
  size: number;
}

export interface DownloadSource {
  /** For messages: `/data/artifacts` or `s3://bucket/prefix`. */
  readonly where: string;
  /** The invocation folders under `outputs/` (`20250601_180000_ab12cd34`), in no particular order. */
  folders(): Promise<string[]>;
  /** Every object whose key starts with `prefix` (e.g. `outputs/2025`). */
  list(prefix: string): Promise<StoredObject[]>;
  open(key: string): Promise<Readable>;
}

/** The local store: `<root>/outputs/...` on disk; links are listed as nothing (never followed). */
export function localSource(root: string): DownloadSource {
  const outputs = path.join(root, 'outputs');
  return {
    where: root,
    async folders() {
      const entries = await fs.promises.readdir(outputs, { withFileTypes: true }).catch(missingIsEmpty);
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    },
    async list(prefix) {
      const found: StoredObject[] = [];
      const walk = async (dir: string, rel: string): Promise<void> => {
        const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(missingIsEmpty);
        for (const e of entries) {
          const key = `${rel}/${e.name}`;
          if (e.isDirectory()) {
            // Descend only where a match can be: into outputs/2025... for the prefix outputs/2025.
            if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(path.join(dir, e.name), key);
          } else if (e.isFile() && key.startsWith(prefix)) {
            found.push({ key, size: (await fs.promises.lstat(path.join(dir, e.name))).size });
          }
        }
      };
      await walk(outputs, 'outputs');
      return found.sort((a, b) => a.key.localeCompare(b.key));
    },
    async open(key) {
      // O_NOFOLLOW: a link swapped in after the listing is refused, not followed.
      const handle = await fs.promises.open(path.join(root, ...key.split('/')), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      return handle.createReadStream();
    },
  };
}

/** An S3 bucket (any S3-compatible server): keys under `<prefix>/outputs/`. */
export function s3Source(client: S3Client, bucket: string, prefix: string): DownloadSource {
  const base = prefix === '' ? '' : `${prefix}/`;
  const listAll = async (fullPrefix: string, delimiter?: string) => {
    const objects: StoredObject[] = [];
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: fullPrefix,
          ContinuationToken: token,
          ...(delimiter ? { Delimiter: delimiter } : {}),
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) objects.push({ key: o.Key.slice(base.length), size: o.Size ?? 0 });
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) folders.push(p.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return { objects, folders };
  };
  return {
    where: `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`,
    async folders() {
      const { folders } = await listAll(`${base}outputs/`, '/');
      return folders.map((f) => f.slice(`${base}outputs/`.length).replace(/\/$/, '')).filter((f) => f !== '');
    },
    async list(keyPrefix) {
      const { objects } = await listAll(`${base}${keyPrefix}`);
      // "Folder" placeholder objects (keys ending in /) are not files.
      return objects.filter((o) => !o.key.endsWith('/')).sort((a, b) => a.key.localeCompare(b.key));
    },
    async open(key) {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${base}${key}` }));
      if (!(answer.Body instanceof Readable)) throw new Error(`s3://${bucket}/${base}${key} came back without a body`);
      return answer.Body;
    },
  };
}

function missingIsEmpty(err: NodeJS.ErrnoException): fs.Dirent[] {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
  throw err;
}

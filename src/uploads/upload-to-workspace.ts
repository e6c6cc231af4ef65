/**
 * One upload from body to workspace: the body is read by the reader its Content-Type names into a
 * staging folder, then moved in at once. Whatever fails, the staging folder is removed and the
 * workspace is as it was.
 */
import type { Readable } from 'node:stream';
import { UnsupportedMediaTypeError } from '../errors/index.js';
import { extractTar } from './extract-tar.js';
import { extractZip } from './extract-zip.js';
import { readMultipart } from './read-multipart.js';
import { Staging, type FileOwner, type SkippedEntry, type WrittenFile } from './staging.js';
import type { UploadLimits } from './upload-limits.js';

/** The Content-Types an upload may have. */
export const UPLOAD_TYPES = [
  'multipart/form-data',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-gtar',
  'application/x-compressed-tar',
  'application/zip',
] as const;

/** What an upload wrote. */
export interface UploadResult {
  files: WrittenFile[];
  skipped: SkippedEntry[];
  bytes: number;
}

/** Where an upload goes and what it may write. */
export interface UploadTarget {
  /** `<dataDir>/sessions/<id>`: the staging folder is made in here, on the workspace's file system. */
  sessionRoot: string;
  workspace: string;
  limits: UploadLimits;
  /** Owner of what is written (the run user); undefined: the service's own user. */
  owner: FileOwner | undefined;
}

/**
 * Reads `body` (of `contentType`) into the workspace under the folder `base`.
 * @example const result = await uploadToWorkspace(body, 'application/gzip', '', { sessionRoot, workspace, limits, owner });
 */
export async function uploadToWorkspace(body: Readable, contentType: string, base: string, target: UploadTarget): Promise<UploadResult> {
  const read = readerFor(contentType);
  const staging = await Staging.create(target.sessionRoot, target.limits);
  try {
    await read(body, staging, base);
    const files = await staging.commit(target.workspace, target.owner);
    return { files, skipped: staging.skipped, bytes: staging.totalBytes };
  } finally {
    // The rest of the body is not wanted: leaving it unread would hold the connection.
    if (!body.destroyed) body.resume();
    await staging.discard();
  }
}

type Reader = (body: Readable, staging: Staging, base: string) => Promise<void>;

function readerFor(contentType: string): Reader {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  switch (type) {
    case 'multipart/form-data':
      return (body, staging, base) => readMultipart(body, contentType, staging, { base });
    case 'application/gzip':
    case 'application/x-gzip':
    case 'application/x-compressed-tar':
      return (body, staging, base) => extractTar(body, staging, { gzip: true, base });
    case 'application/x-tar':
    case 'application/x-gtar':
      // A tar sent gzipped under this type still works: node-tar notices gzip and unpacks it (its own ratio check).
      return (body, staging, base) => extractTar(body, staging, { gzip: false, base });
    case 'application/zip':
      return (body, staging, base) => extractZip(body, staging, { base });
    default:
      throw new UnsupportedMediaTypeError(
        `Content-Type ${JSON.stringify(type || '(none)')} is not an upload this route takes. Send one of: ${UPLOAD_TYPES.join(', ')} ` +
          '(curl -F "file=@app.py" for files, or --data-binary @src.tar.gz -H "Content-Type: application/gzip" for an archive).',
        { accepted: UPLOAD_TYPES },
      );
  }
}

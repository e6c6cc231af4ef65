/**
 * Files from the deployment's S3 `inputs/` into a session's workspace (the AWS way of uploading):
 * every object under a prefix becomes the file at its key minus the prefix. Keys go through the
 * same path rule as archive entries, the listed sizes are checked first and the bytes are counted
 * again as they arrive, and the whole copy is staged and moved in at once, or not at all.
 */
import { pipeline } from 'node:stream/promises';
import type { ListedObject, ReadableStore } from '../artifacts/index.js';
import { ValidationError } from '../errors/index.js';
import { entryPath, UnsafeEntryError } from './entry-path.js';
import { Staging } from './staging.js';
import { overDiskLimit, tooManyBytes, tooManyFiles, type UploadLimits } from './upload-limits.js';
import type { UploadResult, UploadTarget } from './upload-to-workspace.js';

/** The only folder of the bucket inputs are read from (the execution role may read nothing else). */
export const INPUTS_FOLDER = 'inputs/';

/** One object to copy: its key in the store and the workspace path it lands at. */
interface Planned {
  key: string;
  path: string;
}

/**
 * Copies every object under `prefix` (a folder below `inputs/`, keys relative to the store) into
 * the workspace; throws UnsafeEntryError for a key that names a place outside it, a 413 over the
 * limits, ValidationError when nothing is there. Keys ending in `/` (folder markers) are skipped.
 * @example const result = await copyS3Prefix(store.readable, 'inputs/job-42/', { sessionRoot, workspace, limits, owner });
 */
export async function copyS3Prefix(
  readable: ReadableStore,
  prefix: string,
  target: UploadTarget & { signal?: AbortSignal | undefined },
): Promise<UploadResult> {
  const folder = inputsFolder(prefix);
  const staging = await Staging.create(target.sessionRoot, target.limits);
  try {
    const planned = await plan(readable, folder, staging, target.limits);
    if (planned.length === 0) {
      throw new ValidationError(
        `There are no files under ${folder} in the bucket. Put them there first (aws s3 cp --recursive ./dir s3://<bucket>/${folder}), or fix input_s3_prefix.`,
        { field: 'input_s3_prefix' },
      );
    }
    for (const { key, path } of planned) {
      target.signal?.throwIfAborted();
      const sink = await staging.openFile(path);
      const body = await readable.get(key, target.signal);
      // The sink counts every byte against the limits: the listed size is never trusted.
      await pipeline(body, sink, ...(target.signal ? [{ signal: target.signal }] : []));
    }
    const files = await staging.commit(target.workspace, target.owner);
    return { files, skipped: staging.skipped, bytes: staging.totalBytes };
  } finally {
    await staging.discard();
  }
}

/**
 * The folder `prefix` names, ending in `/`: below `inputs/`, without empty, `.` or `..` segments.
 * @example inputsFolder('inputs/job-42') // 'inputs/job-42/'
 */
export function inputsFolder(prefix: string): string {
  const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const segments = folder.slice(0, -1).split('/');
  const bad = segments.some((s) => s === '' || s === '.' || s === '..') || folder.includes('\0');
  if (bad || !folder.startsWith(INPUTS_FOLDER) || segments.length < 2) {
    throw new ValidationError(
      `input_s3_prefix ${JSON.stringify(prefix)} must name a folder below ${INPUTS_FOLDER}, such as "${INPUTS_FOLDER}job-42/", without empty, "." or ".." segments.`,
      { field: 'input_s3_prefix' },
    );
  }
  return folder;
}

/** Lists the prefix and checks every key and the listed sizes before a byte is read. */
async function plan(readable: ReadableStore, folder: string, staging: Staging, limits: UploadLimits): Promise<Planned[]> {
  const planned: Planned[] = [];
  let listedBytes = 0;
  // Folder markers count as entries too (Staging bounds them): the listing stops soon after the limit.
  for await (const object of readable.list(folder, limits.maxFiles * 2 + 17)) {
    if (object.key.endsWith('/')) {
      staging.countEntry();
      continue;
    }
    planned.push({ key: object.key, path: workspacePath(object, folder) });
    if (planned.length > limits.maxFiles) throw tooManyFiles(limits);
    listedBytes += object.size;
    if (object.size > limits.maxEntryBytes || listedBytes > limits.maxBytes) throw tooManyBytes(limits);
    if (listedBytes > limits.diskRoomBytes) throw overDiskLimit(limits);
  }
  return planned;
}

/** The key minus the folder, by the rule of archive entries; a refusal names the whole key. */
function workspacePath(object: ListedObject, folder: string): string {
  try {
    return entryPath(object.key.slice(folder.length));
  } catch (err) {
    if (err instanceof UnsafeEntryError) throw new UnsafeEntryError(object.key, String(err.details.reason));
    throw err;
  }
}

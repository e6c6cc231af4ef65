import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE_NAME = '.signing_key';

/** Loads the signing secret from `<dataDir>/.signing_key` (created on first use, mode 0600) unless `explicit` (from config) is given. */
export async function loadSigningSecret(dataDir: string, explicit?: string): Promise<Buffer> {
  if (explicit !== undefined) return secretFromText(explicit, 'The configured signing secret');
  const file = join(dataDir, FILE_NAME);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const existing = await readIfExists(file);
  if (existing !== undefined) return secretFromText(existing, file);
  await createOnce(file, randomBytes(32).toString('hex'));
  const created = await readIfExists(file);
  if (created === undefined) throw new Error(`${file} vanished right after it was created`);
  return secretFromText(created, file);
}

// The secret is the UTF-8 text, for the file and config alike, so pasting the file's
// content into the config keeps every link that was already handed out valid.
function secretFromText(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new Error(`${source} is empty: delete the file to generate a new signing key, or configure a secret`);
  }
  return Buffer.from(trimmed, 'utf8');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// The key is written in full to a private temp file ('wx': never reuse someone else's file),
// then hard-linked into place. link() fails with EEXIST if another process won the race, and
// no reader ever sees a half-written key (which opening the final name with 'wx' would allow).
async function createOnce(file: string, content: string): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, content, { flag: 'wx', mode: 0o600 });
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await rm(temp, { force: true });
  }
}

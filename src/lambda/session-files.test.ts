import { describe, expect, it } from 'vitest';
import { fakeLambda, lambdaEvent, seed } from '../../test/support/lambda-deps.js';
import type { InvocationOutput } from '../schemas/responses.js';
import { createHandler } from './app.js';

const ID = 'session-files-'.padEnd(40, 'x');
const files = (query: Record<string, string> = {}, keyId = 'key-a') =>
  lambdaEvent({ method: 'GET', path: `/sessions/${ID}/files`, query, keyId });
const json = (res: { body: string }) => JSON.parse(res.body) as any;

const stored = (name: string) => ({ file_name: name, key: `outputs/x/${name}`, size: 1, download_url: 'https://stale' });
const output = (uploaded: string[], skipped: string[] = []) =>
  ({
    output: {
      metadata: {
        uploaded_files: uploaded.map(stored),
        skipped_files: skipped.map((path) => ({ path, reason: 'symbolic_link', detail: 'a link' })),
        failed_uploads: [],
      },
    },
  }) as unknown as InvocationOutput;

function setup() {
  const fake = fakeLambda();
  seed(fake.objects, 'p', {
    id: ID,
    owner: 'key-a',
    records: [
      { invocation_id: 'inv-2', status: 'succeeded', started_at: '2025-01-01T00:02:00.000Z', output: output(['c.py']) },
      { invocation_id: 'inv-1', status: 'succeeded', started_at: '2025-01-01T00:01:00.000Z', output: output(['a.py', 'b.py'], ['link']) },
    ],
  });
  return { handler: createHandler(fake.deps), fake };
}

describe('GET /sessions/{id}/files on AWS', () => {
  it('pages through the stored files of every invocation, oldest first, with fresh links', async () => {
    const { handler } = setup();
    const first = json(await handler(files({ limit: '2' })));
    expect(first).toMatchObject({ session_id: ID, invocation_id: null, kind: 'uploaded' });
    expect(first.files.map((f: any) => [f.invocation_id, f.file_name, f.download_url])).toEqual([
      ['inv-1', 'a.py', 'fresh:outputs/x/a.py'],
      ['inv-1', 'b.py', 'fresh:outputs/x/b.py'],
    ]);
    const second = json(await handler(files({ limit: '2', cursor: first.next_cursor })));
    expect(second.files.map((f: any) => f.file_name)).toEqual(['c.py']);
    expect(second.next_cursor).toBeNull();
  });

  it('lists one invocation, and skipped entries with their file_name', async () => {
    const { handler } = setup();
    expect(json(await handler(files({ invocation_id: 'inv-2' }))).files.map((f: any) => f.file_name)).toEqual(['c.py']);
    const skipped = json(await handler(files({ kind: 'skipped' })));
    expect(skipped.files).toEqual([{ invocation_id: 'inv-1', path: 'link', file_name: 'link', reason: 'symbolic_link', detail: 'a link' }]);
  });

  it('answers as the local route: 404 for an unknown invocation or foreign session, 400 for bad parameters', async () => {
    const { handler } = setup();
    const unknown = await handler(files({ invocation_id: 'inv-9' }));
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown).message).toBe(`Invocation inv-9 was not found in session ${ID}.`);
    expect((await handler(files({}, 'key-b'))).statusCode).toBe(404);
    expect(json(await handler(files({ kind: 'everything' }))).message).toBe('kind must be one of uploaded, skipped, failed.');
    expect(json(await handler(files({ cursor: 'Zm9v' }))).message).toMatch(/^cursor is not one this API returned/);
  });
});

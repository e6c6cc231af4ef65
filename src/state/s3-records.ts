/**
 * The S3 side of the invocation records and event log segments: one PUT each, under the same
 * bucket and prefix as the state mirror. Ids become part of keys, so ids that could address
 * another object are refused before anything is written.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isValidSessionId } from '../workspace/index.js';
import type { InvocationRecord, InvocationRecordSink } from './invocation-record.js';
import { eventSegmentKey, invocationKey } from './keys.js';
import type { S3StateMirrorOptions } from './s3-mirror.js';
import type { SegmentSink } from './event-log.js';

/**
 * Invocation records at `<prefix>/sessions/<id>/invocations/<invocation id>.json`.
 * @example await new S3InvocationRecords({ client, bucket, prefix: 'cca' }).put(record);
 */
export class S3InvocationRecords implements InvocationRecordSink {
  constructor(private readonly target: S3StateMirrorOptions) {}

  async put(record: InvocationRecord): Promise<void> {
    checkId('session', record.session_id);
    checkId('invocation', record.invocation_id);
    const { client, bucket, prefix } = this.target;
    const key = invocationKey(prefix, record.session_id, record.invocation_id);
    await put(client, bucket, key, JSON.stringify(record), 'application/json');
  }
}

/**
 * Event log segments at `<prefix>/sessions/<id>/events/<first id, 12 digits>.jsonl`.
 * @example await new S3EventSegments({ client, bucket, prefix: '' }).put('s-1', 1, '{"id":1,...}\n');
 */
export class S3EventSegments implements SegmentSink {
  constructor(private readonly target: S3StateMirrorOptions) {}

  async put(sessionId: string, firstId: number, body: string): Promise<void> {
    checkId('session', sessionId);
    if (!Number.isSafeInteger(firstId) || firstId < 1) throw new Error(`Invalid event id ${firstId}`);
    const { client, bucket, prefix } = this.target;
    await put(client, bucket, eventSegmentKey(prefix, sessionId, firstId), body, 'application/x-ndjson');
  }
}

async function put(client: S3Client, bucket: string, key: string, body: string, contentType: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

function checkId(what: string, id: string): void {
  if (!isValidSessionId(id)) throw new Error(`Invalid ${what} id ${JSON.stringify(id)}`);
}

/**
 * Session state mirrored where it survives the process (S3 on AgentCore): the latest state, a
 * record per invocation and the event log, which the API Lambda reads.
 */
export { NoStateMirror, stateKey, type SessionStateRecord, type StateMirror } from './mirror.js';
export { S3StateMirror, type S3StateMirrorOptions } from './s3-mirror.js';
export { isMissingObject } from './s3-errors.js';
export {
  invocationRecordOf,
  isEnded,
  RecordingStateMirror,
  type InvocationRecord,
  type InvocationRecordSink,
} from './invocation-record.js';
export { EventLogWriter, type EventLogOptions, type SegmentSink } from './event-log.js';
export { S3EventSegments, S3InvocationRecords } from './s3-records.js';
export {
  eventSegmentKey,
  eventsPrefix,
  invocationKey,
  invocationsPrefix,
  leaseKey,
  SEGMENT_ID_DIGITS,
  segmentFirstId,
  sessionObjectKey,
} from './keys.js';

/** Session state mirrored where it survives the process (S3 on AgentCore). */
export { NoStateMirror, stateKey, type SessionStateRecord, type StateMirror } from './mirror.js';
export { S3StateMirror, type S3StateMirrorOptions } from './s3-mirror.js';

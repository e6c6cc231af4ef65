/** Sessions: a workspace and a Claude Code conversation, and the invocations run in them. */
export { SessionRepo, type SessionRow, type SessionListRow, type InvocationRow, type InvocationStatus } from './repo.js';
export { toSessionSummary, toSessionDetail, type SessionSummary, type SessionDetail } from './view.js';
export { FileLists, type FileCounts, type FileListEntries, type FileListKind, type FileListRow } from './file-lists.js';

/** Sessions: a workspace and a Claude Code conversation, and the invocations run in them. */
export { SessionRepo, type SessionRow, type InvocationRow, type InvocationStatus } from './repo.js';

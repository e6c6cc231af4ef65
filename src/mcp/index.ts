/**
 * MCP: the operator's servers (and, when allowed, a request's own) reached by the service with
 * their credentials, offered to each run as in-process servers through the Agent SDK.
 */
export { McpHub, type McpHubOptions, type McpPlan, type McpReport, type RunMcp } from './hub.js';
export {
  allowsTool,
  NO_SERVERS,
  selectMcpServers,
  toolRules,
  type McpSelection,
  type McpServerRequest,
  type RequestServer,
  type SelectedServer,
} from './selection.js';
export {
  apiToolName,
  fitsToolName,
  isMcpToolName,
  MAX_TOOL_NAME_CHARS,
  mcpToolName,
  parseMcpToolName,
  type McpToolRef,
} from './tool-names.js';
export { listAllTools, type ToolListing } from './list-tools.js';
export { awsIamFetch, type AwsCredentials } from './aws-iam-fetch.js';
export { oauthFetch, TokenSource, TokenError, type ClientCredentials } from './oauth-fetch.js';
export { capped, withHeaders, MAX_ANSWER_BYTES, AnswerTooLargeError, type FetchLike } from './fetch.js';
export { pinnedFetch, type PinnedAddress } from './pinned-fetch.js';
export { reachRequestServer, type ReachPolicy } from './request-server.js';
export { MAX_RESULT_CHARS, type ToolCallRecord, type UpstreamReport } from './upstream.js';

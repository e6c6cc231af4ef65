/** The text of `cca --help`: kept beside the commands it describes. */
export const VERSION = '0.1.0';

export const USAGE = `cca ${VERSION}: Claude Code as a headless coding agent you call like an API.

Usage: cca <command> [options]

Commands:
  serve      Run the service locally (default 127.0.0.1:8080). \`npm start\` runs this.
  runtime    Run the service as a container entrypoint (0.0.0.0:8080, the AgentCore contract).
  help       Show this text.
  version    Print the version.

Options for serve and runtime (flags beat environment variables, which beat defaults):
  --port N           CCA_PORT       Port to listen on (0: any free port).       [8080]
  --host HOST        CCA_HOST       Address to bind.            [127.0.0.1; runtime: 0.0.0.0]
  --data-dir DIR     CCA_DATA_DIR   Sessions, database, stored files.          [./.cca]
  --storage KIND     CCA_STORAGE    "local" (files under the data dir).          [local]
  --public-url URL   CCA_PUBLIC_URL Origin used in download links.   [the request's origin]
  --model ID         CCA_MODEL      Model for every run unless a request names one.
  --log-level LEVEL  CCA_LOG_LEVEL  trace, debug, info, warn, error, silent.      [info]

Model provider (Claude Code's own variables, read at start-up):
  ANTHROPIC_API_KEY                    Anthropic API.
  ANTHROPIC_BASE_URL                   Any Anthropic-compatible endpoint.
  CLAUDE_CODE_USE_BEDROCK=1 AWS_REGION Amazon Bedrock (default model: Claude Haiku 4.5
                                       through the region's inference profile).

Limits (environment only): CCA_MAX_BODY_BYTES, CCA_MAX_PROMPT_CHARS, CCA_MAX_TURNS(_LIMIT),
  CCA_MAX_BUDGET_USD(_LIMIT), CCA_TIMEOUT_S(_LIMIT), CCA_MAX_FILES, CCA_MAX_FILE_BYTES,
  CCA_MAX_TOTAL_BYTES, CCA_DOWNLOAD_URL_TTL_S, CCA_MODEL_MAX_RETRIES, CCA_CLAUDE_PATH.

Example:
  npm start
  curl -s http://127.0.0.1:8080/invocations -d '{"prompt": "Create a hello world Python script"}'
`;

/** The text of `cca --help`: kept beside the commands it describes. */
export const VERSION = '0.1.0';

export const USAGE = `cca ${VERSION}: Claude Code as a headless coding agent you call like an API.

Usage: cca <command> [options]

Commands:
  serve      Run the service locally (default 127.0.0.1:8080). \`npm start\` runs this.
  runtime    Run the service as a container entrypoint (0.0.0.0:8080, the AgentCore contract).
  api        Send a task to the service's /invoke with an API key; print the result and files.
  keys       Create, list and revoke the service's API keys (cca keys help).
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

Options for api: see "cca api --help". Options for keys: see "cca keys help".

Example:
  npm start
  ./bin/cca api "Create a hello world Python script"
`;

/** `cca api --help`. */
export const API_USAGE = `Usage: cca api "TASK" [options]

Sends TASK to POST <endpoint>/invoke with the header x-api-key and waits for the result.
Prints the result text, success or failure, session id, model, duration, turns, cost, and the
stored files with their download links. Exit status: 0 success, 1 the request failed,
2 bad usage or no API key, 3 the run finished without success (its errors go to stderr).

Options (flags beat environment variables, which beat defaults):
  --endpoint URL          CCA_ENDPOINT  Service URL; /invoke is appended unless the path ends in it.
                                                                    [http://127.0.0.1:8080]
  --api-key KEY           CCA_API_KEY   API key.           [the file <data dir>/.api_key]
  --data-dir DIR          CCA_DATA_DIR  Where to find .api_key (cca serve writes it). [./.cca]
  --permission-mode MODE  acceptEdits (default), acceptAll, manual, or the SDK's names.
  --allowed-tools LIST    Comma-separated tool names, e.g. "Bash,Read,Write,Edit".
  --session ID            Continue a session (its id is printed after each run).
  --max-turns N           Stop after N agent turns.
  --timeout S             Stop the run after S seconds.
  --json                  Print the service's JSON response as received.

Examples:
  cca api "Create a FastAPI server with a health check endpoint"
  cca api "Add tests" --session SESSION_ID --max-turns 20
  CCA_ENDPOINT=https://ID.execute-api.REGION.amazonaws.com/prod CCA_API_KEY=KEY cca api "..." --json
`;

/** `cca keys help`. */
export const KEYS_USAGE = `Usage: cca keys <create | list | revoke> [options]

API keys of the service's data directory (--data-dir DIR / CCA_DATA_DIR; default ./.cca).
Only a hash of each key is stored: a key is shown once, when it is created.

  cca keys create --name NAME [--rate 10] [--burst 20] [--quota 1000] [--concurrency 4] [--json]
      Makes a key and prints it once. Limits: requests a second (token bucket rate), burst size,
      requests per UTC day, agent runs at once. --json prints {"id","name","key"} on one line.
  cca keys list [--json]
      Every key: id, name, created, status (active/revoked), limits, requests used today.
  cca keys revoke ID
      Refuses the key from now on (403 Forbidden). Exit status 1 if there is no such key.

Invalid values exit with status 2.
`;

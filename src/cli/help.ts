/** The text of `cca --help`: kept beside the commands it describes. */
export const VERSION = '0.1.0';

export const USAGE = `cca ${VERSION}: Claude Code as a headless coding agent you call like an API.

Usage: cca <command> [options]

Commands:
  serve      Run the service locally (default 127.0.0.1:8080). \`npm start\` runs this.
  runtime    Run the service as a container entrypoint (0.0.0.0:8080, the AgentCore contract).
  invoke     Send a task and watch it live: tool calls, approvals, stored files, then the result.
  api        Send a task to the service's /invoke with an API key; print the result and files.
  sessions   List your sessions (id, status, created, invocations, last prompt).
  session    Show one session's invocations and files; --watch follows the run in progress.
  cancel     Stop the run in progress in a session (the files written so far are stored).
  approve    Allow or deny a tool use waiting for approval (permission mode manual).
  keys       Create, list and revoke the service's API keys (cca keys help).
  synth      Write the AWS CloudFormation templates (AgentCore Runtime, S3, ECR; --api adds
             API Gateway + Lambda), checked by cdk-nag (cca synth --help).
  deploy     Deploy to Amazon Bedrock AgentCore: stacks, ARM64 image, runtime; --api adds the
             HTTP API. Writes deployment.json (cca deploy --help).
  deploy-api Add the HTTP API (API Gateway + Lambda, API key, usage plan) to a deployment.
  destroy    Delete the deployed stacks and deployment.json (asks first; --yes).
  info       Show the deployment (stacks, runtime status, API endpoint) or the local service.
  download   Copy stored files (newest invocation, a PREFIX or --all) from S3 or local storage.
  api-key    Print the API key (deployed: from API Gateway; local: <data dir>/.api_key).
  logs       Show or follow the logs (CloudWatch when deployed; <data dir>/logs/cca.log locally).
  help       Show this text.
  version    Print the version.

Options for serve and runtime (flags beat environment variables, which beat defaults):
  --port N           CCA_PORT       Port to listen on (0: any free port).       [8080]
  --host HOST        CCA_HOST       Address to bind.            [127.0.0.1; runtime: 0.0.0.0]
  --data-dir DIR     CCA_DATA_DIR   Sessions, database, stored files.          [./.cca]
  --storage KIND     CCA_STORAGE    "local" (files under the data dir) or
                                    s3://BUCKET[/PREFIX] (AWS_ENDPOINT_URL_S3 for
                                    S3-compatible servers).                      [local]
  --public-url URL   CCA_PUBLIC_URL Origin used in download links.   [the request's origin]
  --model ID         CCA_MODEL      Model for every run unless a request names one.
  --log-level LEVEL  CCA_LOG_LEVEL  trace, debug, info, warn, error, silent.      [info]
  --no-sandbox       CCA_SANDBOX    "off": runs without a sandbox. "bwrap": each run in
                                    bubblewrap (read-only host, own PID namespace, data
                                    dir and home hidden); runs are refused while bwrap
                                    is missing or does not work.                 [bwrap]
  --allowed-domains LIST (CCA_ALLOWED_DOMAINS)
                                    Hosts runs may connect to besides the model, e.g.
                                    "github.com,*.npmjs.org" ("none": the model only).
                                    Runs then have no network of their own and reach
                                    those hosts through a proxy; requests may narrow
                                    it with allowed_domains. Needs the sandbox. [open]

Model provider (Claude Code's own variables, read at start-up):
  ANTHROPIC_API_KEY                    Anthropic API.
  ANTHROPIC_BASE_URL                   Any Anthropic-compatible endpoint.
  CLAUDE_CODE_USE_BEDROCK=1 AWS_REGION Amazon Bedrock (default model: Claude Haiku 4.5
                                       through the region's inference profile).

Limits (environment only): CCA_MAX_BODY_BYTES, CCA_MAX_PROMPT_CHARS, CCA_MAX_TURNS(_LIMIT),
  CCA_MAX_BUDGET_USD(_LIMIT), CCA_TIMEOUT_S(_LIMIT), CCA_MAX_FILES, CCA_MAX_FILE_BYTES,
  CCA_MAX_TOTAL_BYTES, CCA_DOWNLOAD_URL_TTL_S, CCA_MODEL_MAX_RETRIES, CCA_CLAUDE_PATH,
  CCA_MODEL_TIMEOUT_S (one model request), CCA_SHUTDOWN_GRACE_S (runs may finish on a stop) [30].

Each client command has its own help: "cca invoke --help", "cca sessions --help", ...
Options for keys: see "cca keys help".

Example:
  npm start
  ./bin/cca invoke "Create a hello world Python script"
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
  --allowed-domains LIST  Hosts the run may connect to besides the model, e.g.
                          "github.com,*.pypi.org" ("none": the model only).
  --session ID            Continue a session (its id is printed after each run).
  --max-turns N           Stop after N agent turns.
  --timeout S             Stop the run after S seconds.
  --json                  Print the service's JSON response as received.

Examples:
  cca api "Create a FastAPI server with a health check endpoint"
  cca api "Add tests" --session SESSION_ID --max-turns 20
  CCA_ENDPOINT=https://ID.execute-api.REGION.amazonaws.com/prod CCA_API_KEY=KEY cca api "..." --json
`;

/** The options every command that calls the service takes. */
const CONNECTION_HELP = `Connection (flags beat environment variables, which beat defaults):
  --endpoint URL          CCA_ENDPOINT  Service URL; a trailing /invoke is allowed.
                                                                    [http://127.0.0.1:8080]
  --api-key KEY           CCA_API_KEY   API key.           [the file <data dir>/.api_key]
  --data-dir DIR          CCA_DATA_DIR  Where to find .api_key (cca serve writes it). [./.cca]
`;

/** `cca invoke --help`. */
export const INVOKE_USAGE = `Usage: cca invoke "TASK" [options]

Sends TASK to POST <endpoint>/invoke and shows the run live: one line per tool call
("→ Bash  npm test"), per approval request with the command that answers it, per decision and
per stored file with its download link; on a terminal, a spinner with the elapsed time. Then the
result as "cca api" prints it. If the connection drops, the stream is resumed where it broke.
Ctrl-C stops watching, not the run: it prints how to watch again or cancel.
Exit status: 0 success (or started, with --async), 1 the request failed or the stream was lost,
2 bad usage or no API key, 3 the run finished without success, 130 Ctrl-C.

${CONNECTION_HELP}
Run options:
  --permission-mode MODE  acceptEdits (default), acceptAll, manual (approve each tool use with
                          cca approve), or the SDK's names.
  --allowed-tools LIST    Comma-separated tool names, e.g. "Bash,Read,Write,Edit".
  --allowed-domains LIST  Hosts the run may connect to besides the model, e.g.
                          "github.com,*.pypi.org" ("none": the model only).
  --session ID            Continue a session (its id is printed after each run).
  --max-turns N           Stop after N agent turns.
  --max-budget USD        Stop when the run has cost this many US dollars, e.g. 0.50.
  --timeout S             Stop the run after S seconds.
  --async                 Start the run and return: prints the session and invocation ids and
                          the status and events URLs (with --json, the service's answer).
  --json                  Print only the final result JSON ({"output": {...}}), no progress;
                          approval requests still go to stderr.

AgentCore Runtime directly (AWS credentials instead of an API key; cca invoke --runtime --help):
  --runtime-arn ARN       Call this runtime with InvokeAgentRuntime and print the result.
  --runtime               The runtime of ./deployment.json (written by cca deploy).
  --session ID            With either: an AgentCore session id, at least 33 characters.

Examples:
  cca invoke "Create a FastAPI server with a health check endpoint"
  cca invoke "Clean up the repo" --permission-mode manual
  cca invoke "Write the docs" --async
  cca invoke "Create a hello world Python script" --runtime
`;

/** `cca sessions --help`. */
export const SESSIONS_USAGE = `Usage: cca sessions [--limit N] [--all] [--json]

Lists the sessions of your API key, newest first: id, status, created, invocations, last prompt.
  --limit N   Sessions per page, 1 to 100.                                       [20]
  --all       Follow every page, not just the first.
  --json      Print the service's answer (with --all: every session in one list).

${CONNECTION_HELP}`;

/** `cca session --help`. */
export const SESSION_USAGE = `Usage: cca session SESSION_ID [--watch] [--json]

Shows a session: its status and each invocation's status, prompt, result, cost, turns and
stored files with their download links.
  --watch     Then follow the invocation in progress live, as cca invoke shows it, to its end
              (exit status as cca invoke's). Ctrl-C stops watching, not the run.
  --json      Print the service's JSON (with --watch: the session once the run is over).

${CONNECTION_HELP}`;

/** `cca cancel --help`. */
export const CANCEL_USAGE = `Usage: cca cancel SESSION_ID

Stops the run in progress in the session; the files it wrote so far are stored. Exit status 1
when nothing is running there.

${CONNECTION_HELP}`;

/** `cca approve --help`. */
export const APPROVE_USAGE = `Usage: cca approve SESSION_ID REQUEST_ID [--deny] [--message TEXT]

Answers a tool use waiting for approval (permission mode manual). cca invoke prints this command
with both ids when a request arrives. Without --deny the tool use is allowed.
  --deny           Refuse it instead.
  --message TEXT   Tell the agent why (sent with the decision).
Exit status 1 when there is no such request waiting, or it was already answered.

${CONNECTION_HELP}`;

/** `cca keys help`. */
export const KEYS_USAGE = `Usage: cca keys <create | list | revoke> [options]

API keys of the service's data directory (--data-dir DIR / CCA_DATA_DIR; default ./.cca).
Only a hash of each key is stored: a key is shown once, when it is created.

  cca keys create --name NAME [--rate 10] [--burst 20] [--quota 1000] [--concurrency 4]
                  [--max-timeout S] [--max-turns N] [--max-budget USD] [--json]
      Makes a key and prints it once. Limits: requests a second (token bucket rate), burst size,
      requests per UTC day, agent runs at once; optional caps on each run's timeout_s, max_turns
      and max_budget_usd (below the server's maxima). --json prints {"id","name","key"}.
  cca keys list [--json]
      Every key: id, name, created, status (active/revoked), limits, requests used today.
  cca keys revoke ID
      Refuses the key from now on (403 Forbidden). Exit status 1 if there is no such key.

Invalid values exit with status 2.
`;

/** `cca synth --help`. */
export const SYNTH_USAGE = `Usage: cca synth [--api] [--out DIR] [--region R] [--model ID] [--image-tag T]

Synthesizes the AWS CDK app into DIR: one CloudFormation template per stack
(<StackName>.template.json) plus the cloud assembly "npx cdk deploy --app DIR --all" deploys.
The AwsSolutions rules of cdk-nag run on it: a finding not acknowledged with a reason fails.
Nothing is sent to AWS. Exit status: 0 written, 1 synthesis failed, 2 bad usage.

  --api             Add claude-code-agent-api-stack: API Gateway (API key, usage plan) and the
                    Lambda calling the runtime. Needs the bundled handler (npm run build).
  --out DIR         Where to write.                                          [./cdk.out]
  --region R        AWS_REGION, AWS_DEFAULT_REGION  Region of the stacks. [ap-northeast-1]
  --model ID        Bedrock model id the runtime uses and may invoke.
                    [Claude Haiku 4.5 through the region's inference profile, e.g. jp.anthropic...]
  --image-tag T     Tag of the runtime image in the stack's ECR repository.       [latest]

Example:
  cca synth --api --out cdk.out --region us-east-1
`;

/** The `--help` texts of the AWS management commands and of their local counterparts. */

const REGION_HELP = `  --region R      AWS region. [--region, else deployment.json, else AWS_REGION /
                  AWS_DEFAULT_REGION, else ap-northeast-1]`;

/** `cca deploy --help`. */
export const DEPLOY_USAGE = `Usage: cca deploy [--api] [--region R] [--stack NAME] [--model ID] [--image-tag TAG]
                  [--empty-on-destroy]

Deploys the agent to Amazon Bedrock AgentCore Runtime with the AWS CDK, one line per step:
  1. checks Docker (with buildx), the built CDK app and your AWS credentials;
  2. deploys the agent stack without its runtime: S3 bucket, ECR repository, execution role
     (bootstrapping CDK in the account and region first if needed);
  3. logs Docker in to ECR, builds the ARM64 image and pushes it;
  4. deploys the agent stack again with the AgentCore Runtime running that image;
  5. waits until the runtime is READY;
  6. with --api, deploys the API stack (API Gateway + Lambda, API key, usage plan 10 req/s,
     burst 20, 1000 a day);
  7. writes deployment.json in the current directory (the other commands read it).
Run it from a checkout after "npm install". Needs Docker with buildx and AWS credentials
("aws configure", AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).

Options:
  --api                 Also deploy the HTTP API (same as running cca deploy-api after).
${REGION_HELP}
  --stack NAME          Agent stack name.                   [claude-code-agent-stack]
  --api-stack NAME      API stack name.                     [claude-code-agent-api-stack]
  --model ID            Bedrock model id the runtime may call and uses.
                        [Claude Haiku 4.5 through the region's inference profile]
  --image-tag TAG       Image tag.                 [UTC time + short git commit, e.g.
                                                    20250601-180000-ab12cd3]
  --empty-on-destroy    Let cca destroy delete the bucket with its files and the repository
                        with its images (default: they are kept).
Exit status: 0 deployed, 1 a step failed (its output is shown), 2 bad usage.
`;

/** `cca deploy-api --help`. */
export const DEPLOY_API_USAGE = `Usage: cca deploy-api [--api-stack NAME]

Deploys the API stack (API Gateway REST API + Lambda, API key, usage plan) in front of the
runtime that deployment.json names, and adds api_stack, api_endpoint and api_key_id to it.
Then: cca api-key (the key), cca api "TASK" --endpoint <api_endpoint> --api-key KEY.
`;

/** `cca destroy --help`. */
export const DESTROY_USAGE = `Usage: cca destroy [--api-only] [--yes] [--region R] [--stack NAME]

Deletes what cca deploy made: the API stack, then the agent stack (cdk destroy --force), then
deployment.json. Asks for confirmation on a terminal; elsewhere pass --yes.
  --api-only      Delete only the API stack; deployment.json keeps the runtime.
  --yes           Do not ask.
${REGION_HELP}
  --stack NAME    Agent stack when there is no deployment.json. [claude-code-agent-stack]
The bucket (your files) and the image repository are kept unless deployed with
--empty-on-destroy; the command says how to delete them.
`;

/** `cca info --help`. */
export const INFO_USAGE = `Usage: cca info [--json] [--region R] [--data-dir DIR]

Deployed (deployment.json in the current directory): the deployment record, the stacks'
CloudFormation outputs and status, the runtime's status (AgentCore GetAgentRuntime) and the API
endpoint. Locally (no deployment.json): the service's data dir, storage, API key file and
whether cca serve answers /health at the endpoint (--endpoint / CCA_ENDPOINT).
  --json          Print one JSON object instead.
`;

/** `cca download --help`. */
export const DOWNLOAD_USAGE = `Usage: cca download [PREFIX] [--all] [--out DIR] [--data-dir DIR] [--storage s3://BUCKET[/PREFIX]]

Copies stored files to DIR (default ./downloads), keeping their layout under outputs/:
PREFIX is an invocation folder such as 20250601_180000_ab12cd34 (or its start); without it, the
newest invocation; --all copies everything. Files come from S3 when the storage is S3
(--storage, else CCA_STORAGE, else deployment.json's bucket), else from <data dir>/artifacts.
Keys that would land outside DIR (with "..") are refused.
  --out DIR           Where to write.                                  [./downloads]
  --data-dir DIR      CCA_DATA_DIR  The local service's data dir.             [./.cca]
  --storage KIND      CCA_STORAGE   local or s3://BUCKET[/PREFIX].
${REGION_HELP}
S3-compatible servers: AWS_ENDPOINT_URL_S3 and CCA_S3_FORCE_PATH_STYLE=1.
`;

/** `cca api-key --help`. */
export const API_KEY_USAGE = `Usage: cca api-key [--save] [--data-dir DIR]

Prints the API key. Deployed (deployment.json with api_key_id): the key's value from API
Gateway; --save also writes it to ./.api_key as the original's get_api_key.sh did (or to
<DIR>/.api_key with --data-dir DIR), mode 0600; cca api reads it with --data-dir.
Locally: the key cca serve saved in <data dir>/.api_key.
  --data-dir DIR  CCA_DATA_DIR                                                [./.cca]
${REGION_HELP}
`;

/** `cca logs --help`. */
export const LOGS_USAGE = `Usage: cca logs [--follow] [--source runtime|api] [--since 10m]

Deployed: CloudWatch Logs of the runtime (/aws/bedrock-agentcore/runtimes/<id>-DEFAULT) or of
the API's Lambda (--source api). Locally: the service log <data dir>/logs/cca.log.
  --follow, -f      Keep printing new lines (Ctrl-C stops).
  --source S        runtime (default) or api.
  --since D         How far back: 30s, 10m, 2h, 1d.                              [10m]
  --data-dir DIR    CCA_DATA_DIR (local)                                          [./.cca]
${REGION_HELP}
`;

/** `cca invoke --runtime-arn --help`. */
export const INVOKE_RUNTIME_USAGE = `Usage: cca invoke "TASK" --runtime-arn ARN [options]
       cca invoke "TASK" --runtime            (the runtime ARN of deployment.json)

Calls the AgentCore Runtime directly (InvokeAgentRuntime, qualifier DEFAULT) with your AWS
credentials, waits for the result and prints it as cca api does. Exit status as cca api's.
  --session ID            Continue an AgentCore session (at least 33 characters; a new
                          UUID by default, printed with the result).
  --permission-mode, --allowed-tools, --max-turns, --max-budget, --timeout, --json: as cca invoke.
  --region R              Region of the call.                    [the region in the ARN]
AWS_ENDPOINT_URL_BEDROCK_AGENTCORE points the call at another endpoint.
`;

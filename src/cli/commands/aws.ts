/**
 * The AWS commands (and `synth`): only their text lives here; the modules behind them import the
 * AWS SDK or the CDK, so they are loaded when one of them runs, never on another command's path.
 */
import { REGION, typed, type CommandDef } from './define.js';

const aws = () => import('../aws/index.js');

const DEPLOY: CommandDef = {
  name: 'deploy',
  summary: 'Deploy to Amazon Bedrock AgentCore: stacks, ARM64 image, runtime; --api adds the HTTP API. Writes deployment.json.',
  usage:
    '[--api] [--gateway | --gateway-arn ARN | --no-gateway] [--region R] [--stack NAME] [--model ID] [--image-tag TAG] [--empty-on-destroy]',
  description:
    'Deploys the agent to Amazon Bedrock AgentCore Runtime with the AWS CDK, one line per step:\n' +
    '  1. checks Docker (with buildx), the built CDK app and your AWS credentials;\n' +
    '  2. deploys the agent stack without its runtime: S3 bucket, ECR repository, execution role,\n' +
    '     and with --gateway an AgentCore Gateway (bootstrapping CDK in the account and region first\n' +
    '     if needed);\n' +
    '  3. logs Docker in to ECR, builds the ARM64 image and pushes it;\n' +
    '  4. deploys the agent stack again with the AgentCore Runtime running that image, its log and\n' +
    '     trace deliveries, and (with a gateway) CCA_MCP_CONFIG naming it as the MCP server "gateway";\n' +
    '  5. waits until the runtime is READY;\n' +
    '  6. with --api, deploys the API stack (API Gateway + Lambda, API key, usage plan 10 req/s,\n' +
    '     burst 20, 1000 a day);\n' +
    '  7. writes deployment.json in the current directory (the other commands read it).\n' +
    'Run it from a checkout after "npm install". Needs Docker with buildx and AWS credentials\n' +
    '("aws configure", AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).\n' +
    'A gateway stays through later deploys (deployment.json records it) until --no-gateway.',
  options: [
    { flags: '--api', help: 'Also deploy the HTTP API (same as running cca deploy-api after).' },
    {
      flags: '--gateway',
      help: "Create an AgentCore Gateway (MCP, IAM inbound auth) for the runtime's MCP tools; add targets to it after deploy.",
    },
    {
      flags: '--gateway-arn <ARN>',
      help: 'Attach an existing gateway (its ARN, or its id in this account and region); it must use IAM inbound auth.',
    },
    { flags: '--gateway-url <URL>', help: "With --gateway-arn: the gateway's MCP URL.", default: 'the one AgentCore reports for it' },
    { flags: '--no-gateway', help: 'Remove the gateway an earlier deploy created or attached.' },
    REGION,
    { flags: '--stack <NAME>', help: 'Agent stack name.', default: 'claude-code-agent-stack' },
    { flags: '--api-stack <NAME>', help: 'API stack name.', default: 'claude-code-agent-api-stack' },
    {
      flags: '--model <ID>',
      help: 'Bedrock model id the runtime may call and uses.',
      default: "Claude Haiku 4.5 through the region's inference profile",
    },
    { flags: '--image-tag <TAG>', help: 'Image tag.', default: 'UTC time + short git commit, e.g. 20250601-180000-ab12cd3' },
    {
      flags: '--empty-on-destroy',
      help: 'Let cca destroy delete the bucket with its files and the repository with its images (default: they are kept).',
    },
  ],
  after: 'Exit status: 0 deployed, 1 a step failed (its output is shown), 2 bad usage.',
  run: async (input, ctx) => (await aws()).runDeploy(typed(input), ctx),
};

const DEPLOY_API: CommandDef = {
  name: 'deploy-api',
  summary: 'Add the HTTP API (API Gateway + Lambda, API key, usage plan) to a deployment.',
  usage: '[--api-stack NAME]',
  description:
    'Deploys the API stack (API Gateway REST API + Lambda, API key, usage plan) in front of the runtime that ' +
    'deployment.json names, and adds api_stack, api_endpoint and api_key_id to it. ' +
    'Then: cca api-key (the key), cca api "TASK" --endpoint <api_endpoint> --api-key KEY.',
  options: [{ flags: '--api-stack <NAME>', help: 'API stack name.', default: 'claude-code-agent-api-stack' }],
  run: async (input, ctx) => (await aws()).runDeployApi(typed(input), ctx),
};

const DESTROY: CommandDef = {
  name: 'destroy',
  summary: 'Delete the deployed stacks and deployment.json (asks first; --yes).',
  usage: '[--api-only] [--yes] [--region R] [--stack NAME]',
  description:
    'Deletes what cca deploy made: the API stack, then the agent stack (cdk destroy --force), then deployment.json. ' +
    'Asks for confirmation on a terminal; elsewhere pass --yes.',
  options: [
    { flags: '--api-only', help: 'Delete only the API stack; deployment.json keeps the runtime.' },
    { flags: '-y, --yes', help: 'Do not ask.' },
    REGION,
    { flags: '--stack <NAME>', help: 'Agent stack when there is no deployment.json.', default: 'claude-code-agent-stack' },
    { flags: '--api-stack <NAME>', help: 'API stack when there is no deployment.json.', default: 'claude-code-agent-api-stack' },
  ],
  after:
    'The bucket (your files) and the image repository are kept unless deployed with --empty-on-destroy; the\ncommand says how to delete them.',
  run: async (input, ctx) => (await aws()).runDestroy(typed(input), ctx),
};

const INFO: CommandDef = {
  name: 'info',
  summary: 'Show the deployment (stacks, runtime status, API endpoint) or the local service.',
  usage: '[--json] [--region R] [--data-dir DIR]',
  description:
    "Deployed (deployment.json in the current directory): the deployment record, the stacks' CloudFormation outputs and " +
    "status, the runtime's status (AgentCore GetAgentRuntime) and the API endpoint. Locally (no deployment.json): the " +
    "service's data dir, storage, API key file and whether cca serve answers /health at the endpoint.",
  options: [
    { flags: '--json', help: 'Print one JSON object instead.' },
    REGION,
    { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: "The local service's data dir.", default: './.cca' },
    { flags: '--endpoint <URL>', env: 'CCA_ENDPOINT', help: 'The local service.', default: 'http://127.0.0.1:8080' },
  ],
  run: async (input, ctx) => (await aws()).runInfo(typed(input), ctx),
};

const DOWNLOAD: CommandDef = {
  name: 'download',
  summary: 'Copy stored files (newest invocation, a PREFIX or --all) from S3 or local storage.',
  usage: '[PREFIX] [--all] [--out DIR] [--data-dir DIR] [--storage s3://BUCKET[/PREFIX]]',
  description:
    'Copies stored files to DIR (default ./downloads), keeping their layout under outputs/: PREFIX is an invocation ' +
    'folder such as 20250601_180000_ab12cd34 (or its start); without it, the newest invocation; --all copies everything. ' +
    "Files come from S3 when the storage is S3 (--storage, else CCA_STORAGE, else deployment.json's bucket), else from " +
    '<data dir>/artifacts. Keys that would land outside DIR (with "..") are refused.',
  positionals: true,
  options: [
    { flags: '--all', help: 'Copy every stored file.' },
    { flags: '-o, --out <DIR>', help: 'Where to write.', default: './downloads' },
    { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: "The local service's data dir.", default: './.cca' },
    { flags: '--storage <KIND>', env: 'CCA_STORAGE', help: 'local or s3://BUCKET[/PREFIX].' },
    REGION,
  ],
  after: 'S3-compatible servers: AWS_ENDPOINT_URL_S3 and CCA_S3_FORCE_PATH_STYLE=1.',
  run: async (input, ctx) => (await aws()).runDownload(typed(input), ctx),
};

const API_KEY: CommandDef = {
  name: 'api-key',
  summary: 'Print the API key (deployed: from API Gateway; local: <data dir>/.api_key).',
  usage: '[--save] [--data-dir DIR]',
  description:
    "Prints the API key. Deployed (deployment.json with api_key_id): the key's value from API Gateway; --save also " +
    "writes it to ./.api_key as the original's get_api_key.sh did (or to <DIR>/.api_key with --data-dir DIR), mode 0600; " +
    'cca api reads it with --data-dir. Locally: the key cca serve saved in <data dir>/.api_key.',
  options: [
    { flags: '--save', help: 'Also write the deployed key to <data dir>/.api_key.' },
    { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: 'Where .api_key is.', default: './.cca' },
    REGION,
  ],
  run: async (input, ctx) => (await aws()).runApiKey(typed(input), ctx),
};

const LOGS: CommandDef = {
  name: 'logs',
  summary: 'Show or follow the logs (CloudWatch when deployed; <data dir>/logs/cca.log locally).',
  usage: '[--follow] [--source runtime|api] [--since 10m]',
  description:
    "Deployed: CloudWatch Logs of the runtime (/aws/bedrock-agentcore/runtimes/<id>-DEFAULT) or of the API's Lambda " +
    '(--source api). Locally: the service log <data dir>/logs/cca.log.',
  options: [
    { flags: '-f, --follow', help: 'Keep printing new lines (Ctrl-C stops).' },
    { flags: '--source <S>', help: 'runtime (default) or api.' },
    { flags: '--since <D>', help: 'How far back: 30s, 10m, 2h, 1d.', default: '10m' },
    { flags: '--json', help: 'Print the lines as logged (JSON), without formatting.' },
    { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: "The local service's data dir (no deployment.json).", default: './.cca' },
    REGION,
  ],
  run: async (input, ctx) => (await aws()).runLogs(typed(input), ctx),
};

const SYNTH: CommandDef = {
  name: 'synth',
  summary: 'Write the AWS CloudFormation templates (AgentCore Runtime, S3, ECR; --api adds API Gateway + Lambda), checked by cdk-nag.',
  usage: '[--api] [--gateway | --gateway-arn ARN] [--out DIR] [--region R] [--model ID] [--image-tag T]',
  description:
    'Synthesizes the AWS CDK app into DIR: one CloudFormation template per stack (<StackName>.template.json) plus the ' +
    'cloud assembly "npx cdk deploy --app DIR --all" deploys. The AwsSolutions rules of cdk-nag run on it: a finding ' +
    'not acknowledged with a reason fails. Nothing is sent to AWS.',
  options: [
    {
      flags: '--api',
      help: 'Add claude-code-agent-api-stack: API Gateway (API key, usage plan) and the Lambda calling the runtime. Needs the bundled handler (npm run build).',
    },
    { flags: '--out <DIR>', help: 'Where to write.', default: './cdk.out' },
    { flags: '--region <R>', env: 'AWS_REGION, AWS_DEFAULT_REGION', help: 'Region of the stacks.', default: 'ap-northeast-1' },
    {
      flags: '--model <ID>',
      help: 'Bedrock model id the runtime uses and may invoke.',
      default: "Claude Haiku 4.5 through the region's inference profile",
    },
    { flags: '--image-tag <T>', help: "Tag of the runtime image in the stack's ECR repository.", default: 'latest' },
    { flags: '--gateway', help: 'Add an AgentCore Gateway (MCP, IAM inbound auth) as the runtime\'s MCP server "gateway".' },
    {
      flags: '--gateway-arn <ARN>',
      help: 'Point the runtime at an existing gateway instead (ARN, or id in the stack account and region).',
    },
    {
      flags: '--gateway-url <URL>',
      help: "With --gateway-arn: the gateway's MCP URL.",
      default: 'https://ID.gateway.bedrock-agentcore.REGION.amazonaws.com/mcp',
    },
  ],
  after:
    'Exit status: 0 written, 1 synthesis failed, 2 bad usage.\n\nExample:\n  cca synth --api --out cdk.out --region us-east-1\n  cca synth --gateway',
  // The AWS CDK takes about a second to import, which no other command should pay.
  run: async (input, ctx) => (await import('../synth.js')).runSynth(typed(input), ctx),
};

/** The AWS commands of the table, in the order `cca --help` lists them. */
const MIGRATE_SESSIONS: CommandDef = {
  name: 'migrate-sessions',
  summary: "Bring a deployment's session records forward (owner index, invocation records); once, after upgrading.",
  usage: '[--storage s3://BUCKET[/PREFIX]] [--region R]',
  description:
    "The API on AWS lists a key's sessions from an owner index (owners/<key id>/sessions/ in the bucket) and shows a " +
    "session's history from its invocation records (sessions/<id>/invocations/). Sessions created before those existed " +
    'have only owner.json and state.json: this command writes their index entries and the record of their latest ' +
    'invocation. Run it once after upgrading a deployment from before them; running it again writes nothing, and it ' +
    'never replaces a record the runtime wrote. Until then such sessions are still readable by id, and each is indexed ' +
    "again the next time it is continued. The bucket is --storage, else CCA_STORAGE, else deployment.json's.",
  options: [{ flags: '--storage <KIND>', env: 'CCA_STORAGE', help: 's3://BUCKET[/PREFIX] of the deployment.' }, REGION],
  after:
    'Exit status: 0 done, 1 a session or the bucket could not be read, 2 bad usage.\nS3-compatible servers: AWS_ENDPOINT_URL_S3 and CCA_S3_FORCE_PATH_STYLE=1.',
  run: async (input, ctx) => (await aws()).runMigrateSessions(typed(input), ctx),
};

export const AWS_COMMANDS: CommandDef[] = [SYNTH, DEPLOY, DEPLOY_API, DESTROY, INFO, DOWNLOAD, API_KEY, LOGS, MIGRATE_SESSIONS];

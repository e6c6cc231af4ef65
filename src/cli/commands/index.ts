/** The command table of `cca`: every command, in the order `cca --help` lists them. */
import { AWS_COMMANDS } from './aws.js';
import { CLIENT_COMMANDS } from './client.js';
import type { CommandDef } from './define.js';
import { KEYS_COMMAND } from './keys.js';
import { SERVICE_COMMANDS } from './service.js';
import { WEBHOOKS_COMMAND } from './webhooks.js';

import { VERSION } from '../../config/index.js';

/** The CLI's version, printed by `cca --version` and `cca version`. */
export { VERSION };

const VERSION_COMMAND: CommandDef = {
  name: 'version',
  summary: 'Print the version.',
  run: async (_input, ctx) => {
    ctx.io.stdout(`${VERSION}\n`);
    return 0;
  },
};

/** Every command. */
export const COMMANDS: CommandDef[] = [
  ...SERVICE_COMMANDS,
  ...CLIENT_COMMANDS,
  WEBHOOKS_COMMAND,
  KEYS_COMMAND,
  ...AWS_COMMANDS,
  VERSION_COMMAND,
];

/** The first paragraph of `cca --help`. */
export const TOP_HELP_BEFORE = `cca ${VERSION}: Claude Code as a headless coding agent you call like an API.`;

/** What `cca --help` says after the commands and the serve options. */
export const TOP_HELP_AFTER = `
Model provider (Claude Code's own variables, read at start-up):
  ANTHROPIC_API_KEY                    Anthropic API.
  ANTHROPIC_BASE_URL                   Any Anthropic-compatible endpoint.
  CLAUDE_CODE_USE_BEDROCK=1 AWS_REGION Amazon Bedrock (default model: Claude Haiku 4.5
                                       through the region's inference profile).

Limits (environment only): CCA_MAX_BODY_BYTES, CCA_MAX_PROMPT_CHARS, CCA_MAX_TURNS(_LIMIT),
  CCA_MAX_BUDGET_USD(_LIMIT), CCA_TIMEOUT_S(_LIMIT), CCA_MAX_FILES, CCA_MAX_FILE_BYTES,
  CCA_MAX_TOTAL_BYTES, CCA_MAX_WALK_ENTRIES, CCA_MAX_LISTED_FILES, CCA_DOWNLOAD_URL_TTL_S,
  CCA_MODEL_MAX_RETRIES, CCA_CLAUDE_PATH,
  CCA_MODEL_TIMEOUT_S (one model request), CCA_SHUTDOWN_GRACE_S (runs may finish on a stop) [30].

Webhooks (environment only): CCA_WEBHOOK_SECRET (whsec_...: signs deliveries where there are no
  API keys, cca runtime), CCA_WEBHOOK_RETRY_SCHEDULE (seconds before each attempt)
  [0,5,30,120,600,1800,3600,7200,14400,28800,28800], CCA_WEBHOOK_TIMEOUT_S [15],
  CCA_WEBHOOK_CONCURRENCY [16].

Each command has its own help: "cca help invoke" or "cca invoke --help".

Example:
  npm start
  ./bin/cca invoke "Create a hello world Python script"
`;

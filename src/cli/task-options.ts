/** Flags shared by `cca invoke` over the HTTP API and `cca invoke --runtime-arn` (AgentCore). */
export const TASK_OPTIONS = {
  'permission-mode': { type: 'string' },
  'allowed-tools': { type: 'string' },
  'allowed-domains': { type: 'string' },
  session: { type: 'string' },
  'max-turns': { type: 'string' },
  'max-budget': { type: 'string' },
  timeout: { type: 'string' },
  async: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** API keys: the `cca_<id>_<secret>` format, their limits, the hashed key table, and what is kept per key (git credentials, webhook settings). */
export { generateKey, parseKey } from './key-format.js';
export {
  DEFAULT_KEY_LIMITS,
  MAX_BUDGET_USD,
  resolveKeyBudgets,
  resolveKeyLimits,
  resolveKeyShares,
  resolveRunCaps,
  type KeyBudgetLimits,
  type KeyLimits,
  type KeyRunCaps,
  type KeyShares,
} from './key-limits.js';
export { KeyRepo, type ApiKeyRecord, type KeySettings } from './repo.js';
export {
  GIT_CREDENTIALS_KEY_LABEL,
  gitCredentialHosts,
  GitCredentialStore,
  GitCredentialUnreadableError,
  normalizeGitHost,
} from './git-credentials.js';
export {
  KeyWebhookStore,
  ROTATION_GRACE_MS,
  WEBHOOK_SECRETS_KEY_LABEL,
  WebhookSecretUnreadableError,
  webhookSettingsOf,
  type KeyWebhookSettings,
} from './webhook-settings.js';

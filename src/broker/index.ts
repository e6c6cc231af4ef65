/** The credential broker: runs hold a per-run token; the service holds the model credential. */
export { CredentialBroker, type BrokeredRun } from './broker.js';
export { brokeredEnv, isBrokered } from './child-env.js';
export { brokerHandler, MAX_MODEL_BODY_BYTES, MAX_REQUESTS_IN_FLIGHT, TOKEN_PREFIX } from './forward.js';
export { refusedCall } from './routes.js';
export { RunTokens, type TokenCheck } from './tokens.js';
export { usageTap, type ResponseUsage, type UsageObserver, type UsageTap } from './usage-tap.js';
export { anthropicUpstream, bedrockUpstream, joinUrl, parseCustomHeaders, type ModelUpstream } from './upstream.js';
export { Sha256 } from './sha256.js';
export { signUrlRequest } from './sign-url.js';

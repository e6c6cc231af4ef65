/** The service's version: in `/health`, the OpenAPI document, `cca --version` and the client name Claude Code reports. */
export const VERSION = '0.1.0';

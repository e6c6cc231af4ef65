/** Whether `cca invoke` goes to an AgentCore Runtime directly: kept apart so that checking costs no SDK import. */

/**
 * True when the arguments name a runtime (`--runtime-arn ARN` or `--runtime`) rather than the HTTP API.
 * @example wantsRuntime(['task', '--runtime']) // true
 */
export function wantsRuntime(args: string[]): boolean {
  return args.some((a) => a === '--runtime' || a === '--runtime-arn' || a.startsWith('--runtime-arn='));
}

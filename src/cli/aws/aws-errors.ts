/**
 * AWS SDK errors as one sentence that says what to do: missing or expired credentials, missing
 * permissions, an unknown resource, or the service's own message.
 */

const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ProviderError']);
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/** The error's name and message as the SDK reports them. */
export function awsErrorName(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

/** True when the error means there are no usable AWS credentials. */
export function isCredentialsError(err: unknown): boolean {
  const name = awsErrorName(err);
  return NO_CREDENTIALS.has(name) || BAD_CREDENTIALS.has(name);
}

/**
 * What went wrong in `what` (e.g. "CloudFormation DescribeStacks"), and how to fix it.
 * @example io.stderr(`cca: ${describeAwsError(err, 'AgentCore GetAgentRuntime')}\n`);
 */
export function describeAwsError(err: unknown, what: string): string {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (NO_CREDENTIALS.has(name)) {
    return (
      `${what}: no AWS credentials found (${message}). Configure them: "aws configure" (or "aws sso login" with AWS_PROFILE), ` +
      `or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`
    );
  }
  if (BAD_CREDENTIALS.has(name)) {
    return `${what}: AWS refused the credentials (${name}: ${message}). Renew them ("aws sso login", new keys) or pick another AWS_PROFILE.`;
  }
  if (DENIED.has(name)) return `${what}: access denied (${message}). The credentials' IAM identity needs this permission.`;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
  if (code === 'ENOTFOUND' || code === 'ECONNREFUSED' || code === 'ETIMEDOUT') {
    return `${what}: cannot reach AWS (${code}: ${message}). Check the network, the region and any AWS_ENDPOINT_URL_* setting.`;
  }
  return `${what} failed (${name}: ${message})`;
}

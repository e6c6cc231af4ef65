/**
 * The container image: Docker logged in to ECR with a short-lived token, then one
 * `docker buildx build --platform linux/arm64 --push` (AgentCore runs ARM64 only).
 */
import { GetAuthorizationTokenCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { ProcessRunner, RunResult } from './process-runner.js';

/** The registry Docker logged in to, and the account it belongs to. */
export interface EcrLogin {
  registry: string;
  account: string;
  /** The password of the token (`docker login --password-stdin`). */
  password: string;
}

/**
 * Gets an ECR authorization token: the registry host (`<account>.dkr.ecr.<region>.amazonaws.com`)
 * and the password. Also the cheapest way to learn the account id without STS.
 */
export async function ecrToken(ecr: ECRClient): Promise<EcrLogin> {
  const data = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) throw new Error('ECR GetAuthorizationToken returned no token.');
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const registry = new URL(data.proxyEndpoint.includes('://') ? data.proxyEndpoint : `https://${data.proxyEndpoint}`).host;
  const account = /^(\d{12})\./.exec(registry)?.[1];
  if (account === undefined) throw new Error(`ECR answered an unexpected registry "${registry}".`);
  return { registry, account, password: colon === -1 ? decoded : decoded.slice(colon + 1) };
}

/** `docker login --username AWS --password-stdin REGISTRY`: the password goes through stdin, never argv. */
export function dockerLogin(run: ProcessRunner, login: EcrLogin): Promise<RunResult> {
  return run('docker', ['login', '--username', 'AWS', '--password-stdin', login.registry], { input: login.password });
}

/** Builds the ARM64 image from the checkout and pushes it as `<repositoryUri>:<tag>`. */
export function buildAndPush(
  run: ProcessRunner,
  opts: { repositoryUri: string; tag: string; context: string; onOutput?: (text: string) => void },
): Promise<RunResult> {
  const image = `${opts.repositoryUri}:${opts.tag}`;
  return run('docker', ['buildx', 'build', '--platform', 'linux/arm64', '-t', image, '--push', opts.context], {
    cwd: opts.context,
    ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
  });
}

/**
 * The default image tag: the UTC time, plus the checkout's short commit when git knows it
 * (`20250601-180000-ab12cd3`), so every deploy runs a new, traceable image.
 */
export async function defaultImageTag(run: ProcessRunner, repoRoot: string, now: Date): Promise<string> {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const git = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot });
  const sha = git.code === 0 ? git.stdout.trim() : '';
  return /^[0-9a-f]{4,40}$/.test(sha) ? `${stamp}-${sha}` : stamp;
}

/** An image tag as Docker accepts it. */
export function isValidImageTag(tag: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}

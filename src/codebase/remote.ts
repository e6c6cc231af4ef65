/**
 * Reaching a remote from the service the way a run would be let reach it: its host must be allowed
 * by the deployment's egress allowlist, and its address must not be loopback, private or metadata
 * (unless the operator allowed it). The address checked is the one git connects to
 * (`http.curloptResolve` pins it, redirects are off), so DNS rebinding gets nowhere. The
 * credential goes in an Authorization header set through git's environment.
 */
import dns from 'node:dns/promises';
import { addressAllowed, isAllowed, type EgressConfig, type PrivateAllowance } from '../egress/index.js';
import { RepositoryHostNotAllowedError, RepositoryUnreachableError, RepositoryUnusableError, RepositoryTooLargeError } from './errors.js';
import { GitCommandError } from './git.js';
import type { RepositorySource } from './repo-url.js';

/** A token for a repository's host, and the user name to send with it (most hosts ignore it). */
export interface GitCredential {
  username: string;
  token: string;
}

/** What the service may reach: the deployment's egress and the private addresses it allows. */
export interface RemotePolicy {
  egress: EgressConfig;
  privateHosts: PrivateAllowance;
  /** Local paths and file:// URLs may be fetched. */
  allowLocal: boolean;
}

/** A remote, checked and pinned: the `-c` settings and protocols git needs to reach it, and only it. */
export interface RemoteAccess {
  /** What git is given as the remote. */
  target: string;
  config: Record<string, string>;
  protocols: string[];
}

/** User name sent with a token when the caller names none (GitHub and Gitea accept any; GitLab wants any non-empty). */
export const DEFAULT_GIT_USERNAME = 'x-access-token';

/**
 * Checks the remote against the policy and pins the address git will use.
 * @example const access = await openRemote(source, credential, policy); await runGit(['ls-remote', access.target], access);
 */
export async function openRemote(
  source: RepositorySource,
  credential: GitCredential | undefined,
  policy: RemotePolicy,
  resolve: (host: string) => Promise<{ address: string; family: number }[]> = (host) => dns.lookup(host, { all: true }),
): Promise<RemoteAccess> {
  if (source.kind === 'local') return { target: source.path, config: {}, protocols: ['file'] };
  const { host, port, url } = source;
  const domains = policy.egress.kind === 'allowlist' ? policy.egress.domains : undefined;
  if (!isAllowed({ domains, endpoints: [], private: policy.privateHosts }, host, port)) {
    throw new RepositoryHostNotAllowedError(
      `${host} is not in this deployment's egress allowlist (CCA_ALLOWED_DOMAINS), so the service may not fetch from it; ask the operator to add it, or use a repository on an allowed host.`,
      { field: 'repository.url', host },
    );
  }
  let addresses: { address: string; family: number }[];
  try {
    addresses = await resolve(host);
  } catch {
    throw new RepositoryUnusableError('repository_not_found', `The host ${host} of repository.url could not be resolved; check the URL.`, {
      field: 'repository.url',
    });
  }
  const allowed = addresses.find((a) => addressAllowed(policy.privateHosts, host, a.address));
  if (allowed === undefined) {
    throw new RepositoryHostNotAllowedError(
      `${host} is at ${addresses[0]?.address ?? 'no address'}, a loopback, private, link-local or metadata address, which the service does not fetch from (the operator can allow it with --private-hosts / CCA_PRIVATE_HOSTS).`,
      { field: 'repository.url', host },
    );
  }
  const config: Record<string, string> = {
    'http.curloptResolve': `${hostForResolve(url.hostname)}:${port}:${allowed.family === 6 ? `[${allowed.address}]` : allowed.address}`,
  };
  if (credential !== undefined) {
    const basic = Buffer.from(`${credential.username}:${credential.token}`).toString('base64');
    config['http.extraHeader'] = `Authorization: Basic ${basic}`;
  }
  return { target: url.href, config, protocols: [url.protocol === 'https:' ? 'https' : 'http'] };
}

function hostForResolve(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '');
}

/**
 * What a failed fetch or ls-remote means for the caller, from git's own words (LC_ALL=C).
 * @example throw remoteError(err, 'https://github.com/o/r.git', 'main')
 */
export function remoteError(err: unknown, shown: string, ref: string | undefined, hasCredential: boolean): Error {
  if (!(err instanceof GitCommandError)) return err instanceof Error ? err : new Error(String(err));
  const text = err.stderr;
  if (err.stopped === 'timeout') return new RepositoryUnreachableError(`Fetching ${shown} took too long; try a smaller depth, or retry.`);
  if (/returned error: 40[13]|Authentication failed|could not read (Username|Password)|terminal prompts disabled/i.test(text)) {
    return new RepositoryUnusableError(
      'repository_auth_failed',
      hasCredential
        ? `The git host refused the credential for ${shown}: check git_token (it needs read access, and write access to push).`
        : `${shown} needs a credential: send git_token, or ask the operator to register one for this host on your API key.`,
      { field: hasCredential ? 'git_token' : 'repository.url' },
    );
  }
  if (
    /couldn't find remote ref|not our ref|no such ref|unadvertised object|remote error: .*(not found|upload-pack: not our ref)/i.test(text)
  ) {
    return new RepositoryUnusableError(
      'repository_ref_not_found',
      `${shown} has no branch, tag or commit "${ref ?? 'HEAD'}"; check repository.ref.`,
      {
        field: 'repository.ref',
      },
    );
  }
  if (/returned error: 404|not found|does not appear to be a git repository|not a git repository|does not exist/i.test(text)) {
    return new RepositoryUnusableError(
      'repository_not_found',
      `${shown} was not found${hasCredential ? '' : ' (or it is private: send git_token)'}; check repository.url.`,
      { field: 'repository.url' },
    );
  }
  if (/returned error: 413|too large/i.test(text)) return new RepositoryTooLargeError(`${shown} is too large to fetch.`);
  if (
    /Could not resolve|Failed to connect|Connection refused|timed out|Connection reset|SSL|TLS|certificate|returned error: 5\d\d/i.test(
      text,
    )
  ) {
    return new RepositoryUnreachableError(`${shown} could not be reached: ${lastLine(text)}`);
  }
  return new RepositoryUnusableError('repository_invalid', `git could not fetch ${shown}: ${lastLine(text)}`, { field: 'repository.url' });
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return (lines.at(-1) ?? 'no detail').replace(/^fatal: /, '').slice(0, 300);
}

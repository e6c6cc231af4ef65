/**
 * Whether a request's repository, push and pull request can be served, decided before anything is
 * recorded: the URL is allowed, the host is reachable under the egress rules, the credential opens
 * the repository and the ref exists (one `git ls-remote`), and a push has a repository and a
 * credential to go with. Every refusal is a typed 4xx; what passes becomes the run's git plan.
 */
import {
  inspectRemote,
  openRemote,
  parseRepositoryUrl,
  readOrigin,
  sourceText,
  type GitCredential,
  type RemoteAccess,
  type RemoteHead,
  type RepositorySource,
} from '../codebase/index.js';
import net from 'node:net';
import type { Config } from '../config/index.js';
import { addressAllowed, hostMatches, isPublicAddress, type PrivateAllowance } from '../egress/index.js';
import { ValidationError } from '../errors/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import type { RepositoryInfo } from '../schemas/changes.js';
import { sessionDirs } from '../workspace/index.js';

/** What a run does with git: clone before it, push after it; the credential lives only here, in memory. */
export interface GitPlan {
  /** A new session's repository, checked and resolved. */
  clone?: { access: RemoteAccess; shown: string; head: RemoteHead; ref: string | undefined; depth: number } | undefined;
  /** The session's repository, when it has one (known after the clone for a new session). */
  origin?: RepositoryInfo | undefined;
  push?: { access: RemoteAccess; shown: string; branch: string; message: string | undefined } | undefined;
  pullRequest?: ValidInvocation['pullRequest'];
  credential: GitCredential | undefined;
}

/** Finds a credential the operator registered for a host on the caller's key. */
export type KeyCredentials = (ownerKeyId: string, host: string) => GitCredential | undefined;

/** How long the preflight `git ls-remote` may take. */
const INSPECT_TIMEOUT_MS = 30_000;

/**
 * The git plan of a request, or undefined when it names no repository and no push.
 * @example const git = await admitGit(config, req, sessionId, sessions.getSession(sessionId) !== undefined, ownerKeyId);
 */
export async function admitGit(
  config: Config,
  req: ValidInvocation,
  sessionId: string,
  sessionExists: boolean,
  ownerKeyId: string | undefined,
  keyCredentials?: KeyCredentials,
  /** The repository a saved session records (durable state), for a worker whose copy is not restored yet. */
  savedOrigin?: RepositoryInfo | undefined,
): Promise<GitPlan | undefined> {
  if (req.repository === undefined && req.push === undefined) return undefined;
  const policy = { egress: config.egress, privateHosts: config.privateHosts, allowLocal: config.git.allowLocal };
  const credentialFor = (source: RepositorySource) => {
    if (req.gitCredential !== undefined) return req.gitCredential;
    if (source.kind !== 'http' || ownerKeyId === undefined || keyCredentials === undefined) return undefined;
    // An operator's credential travels in clear text only to a host of the operator's own network.
    if (source.url.protocol !== 'https:' && !isOperatorsOwn(config.privateHosts, source.host)) return undefined;
    // Registered as "host" or, for a port of its own, "host:port".
    const defaultPort = source.port === (source.url.protocol === 'https:' ? 443 : 80);
    const names = defaultPort ? [source.host] : [`${source.host}:${source.port}`, source.host];
    for (const name of names) {
      const found = keyCredentials(ownerKeyId, name);
      if (found !== undefined) return found;
    }
    return undefined;
  };

  if (req.repository !== undefined) {
    if (sessionExists) {
      throw new ValidationError(
        `repository starts a new session, and session ${sessionId} already exists; omit repository to continue it, or omit session_id to start a new one.`,
        { field: 'repository' },
      );
    }
    const source = parseRepositoryUrl(req.repository.url, { allowLocal: config.git.allowLocal });
    const credential = credentialFor(source);
    const access = await openRemote(source, credential, policy);
    const shown = sourceText(source);
    const head = await inspectRemote(access, shown, req.repository.ref, {
      hasCredential: credential !== undefined,
      timeoutMs: INSPECT_TIMEOUT_MS,
    });
    return {
      clone: { access, shown, head, ref: req.repository.ref, depth: req.repository.depth },
      push: req.push && pushPlan(req.push, access, shown, credential),
      pullRequest: req.pullRequest,
      credential,
    };
  }

  // A push from a session that already has its repository.
  const origin = sessionExists ? ((await readOrigin(sessionDirs(config.sessionsBase, sessionId).git)) ?? savedOrigin) : undefined;
  if (origin === undefined) {
    throw new ValidationError(
      'push needs a session that started from a repository: start one with "repository": {"url": ...}, then push from it.',
      { field: 'push' },
    );
  }
  const source = parseRepositoryUrl(origin.url, { allowLocal: config.git.allowLocal });
  const credential = credentialFor(source);
  const access = await openRemote(source, credential, policy);
  return {
    origin,
    push: req.push && pushPlan(req.push, access, origin.url, credential),
    pullRequest: req.pullRequest,
    credential,
  };
}

/** A host the operator named in --private-hosts (by name, or an address in its ranges). */
function isOperatorsOwn(allow: PrivateAllowance, host: string): boolean {
  if (net.isIP(host) !== 0) return !isPublicAddress(host) && addressAllowed(allow, host, host);
  return allow.hosts.some((p) => hostMatches(p, host));
}

function pushPlan(
  push: NonNullable<ValidInvocation['push']>,
  access: RemoteAccess,
  shown: string,
  credential: GitCredential | undefined,
): GitPlan['push'] {
  if (access.protocols.includes('file')) {
    // A push into a repository on the service's machine would run that repository's hooks as the service.
    throw new ValidationError("push goes to remote repositories only; this session was cloned from a path on the service's machine.", {
      field: 'push',
    });
  }
  if (credential === undefined) {
    throw new ValidationError(
      "push needs a credential with write access: send git_token, or ask the operator to register one for the repository's host on your key.",
      { field: 'git_token' },
    );
  }
  return { access, shown, branch: push.branch, message: push.message };
}

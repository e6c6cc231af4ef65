/**
 * AgentCore session storage: a directory at a mount path of the runtime's choosing that is the
 * session's own and outlives its microVM. AgentCore replicates what is written there and mounts
 * it again in the next microVM of the same runtime session id, after an idle stop, the maximum
 * lifetime or StopRuntimeSession. It is the fast path of a session's state (its workspace, Claude
 * Code's transcript and git record come back without a restore from S3); S3 stays the path that survives
 * everything, because the mount does not: 1 GB at most, reset after 14 days without an invocation
 * and by every new runtime version (a deploy that changes the image or the environment).
 * AgentCore mounts it for an invocation, not while the container starts: so only the sessions'
 * folders go there (CCA_SESSIONS_BASE, first touched by an invocation), and the data dir (database,
 * lock, secrets), which the runtime opens at start-up, stays in the image's /data.
 *
 * It is set on the L1 `CfnRuntime`, whose `filesystemConfigurations` is a typed property in
 * aws-cdk-lib 2.276; the L2 `Runtime` has no filesystem property, and no override is needed.
 */
import type * as agentcore from 'aws-cdk-lib/aws-bedrockagentcore';
import { InfraConfigError } from './errors.js';

/** AgentCore's rule: one directory level under /mnt (`/mnt/[a-zA-Z0-9._-]+/?`, 6 to 200 characters). */
const MOUNT_PATH = /^\/mnt\/([a-zA-Z0-9._-]+)\/?$/;

/** What the runtime gets when session storage is on. */
export interface SessionStorage {
  /** The mount path, without a trailing slash. */
  mountPath: string;
  /** `CCA_SESSIONS_BASE` of the container: the runtime keeps `sessions/<id>/` under it. */
  sessionsBase: string;
  /** The CfnRuntime property. */
  filesystemConfigurations: agentcore.CfnRuntime.FilesystemConfigurationProperty[];
}

/**
 * The session storage at `mountPath`, checked the way AgentCore checks it.
 * @example sessionStorage('/mnt/cca').sessionsBase // '/mnt/cca'
 */
export function sessionStorage(mountPath: string): SessionStorage {
  const name = MOUNT_PATH.exec(mountPath)?.[1];
  if (name === undefined || name === '.' || name === '..' || mountPath.length > 200) {
    throw new InfraConfigError(
      `sessionMountPath must be one directory under /mnt (letters, digits, ".", "_", "-"), e.g. /mnt/cca; got "${mountPath}".`,
    );
  }
  const normalized = `/mnt/${name}`;
  return {
    mountPath: normalized,
    // The runtime creates `sessions/` there (0700) at the session's first invocation.
    sessionsBase: normalized,
    filesystemConfigurations: [{ sessionStorage: { mountPath: normalized } }],
  };
}

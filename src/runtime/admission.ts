/**
 * Whether an invocation may start, decided from plain facts: the request and its caller, what the
 * deployment can do, and what is known of the session. Every refusal is a typed error thrown
 * before anything is recorded, so a refused request leaves no trace; nothing here does I/O.
 */
import { randomUUID } from 'node:crypto';
import { NO_PROVIDER_MESSAGE, type Config } from '../config/index.js';
import { EgressNotAllowedError, runDomains, type DomainPattern } from '../egress/index.js';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import { selectMcpServers, type McpSelection } from '../mcp/index.js';
import { SANDBOX_UNAVAILABLE_HINT, type SandboxStatus } from '../sandbox/index.js';
import { isValidSessionId } from '../workspace/index.js';

/** What the service can do right now, as far as admitting a request goes. */
export interface ServiceFacts {
  config: Pick<Config, 'provider' | 'egress' | 'storage' | 'mcp'>;
  sandbox: SandboxStatus;
  /** The service is shutting down. */
  closing: boolean;
}

/** What admitting a request decided. */
export interface Admitted {
  sessionId: string;
  /** Hosts the run may reach; undefined: the host's network. */
  egress: DomainPattern[] | undefined;
  /** Objects of the artifact bucket to copy into the workspace before the run (`input_s3_prefix`). */
  inputs: InputSource | undefined;
  /** The MCP servers and tools of the run (none: MCP is off for it). */
  mcp: McpSelection;
}

/** A folder of the deployment's bucket to copy from: its key relative to the storage prefix, and how to show it. */
export interface InputSource {
  /** `inputs/<folder>/`, as the artifact store names keys (without the deployment's storage prefix). */
  key: string;
  /** `s3://<bucket>/<full key>/`, for events and messages. */
  shown: string;
}

/**
 * Picks the session (the AgentCore header wins over the body; neither: a new one) and checks the
 * request against the service; the session itself is checked next, by `admitToSession`.
 * @example const { sessionId, egress } = admitRequest(req, ctx, { config, sandbox, closing: false });
 */
export function admitRequest(
  req: Pick<ValidInvocation, 'sessionId' | 'allowedDomains' | 'inputPrefix'> & Partial<Pick<ValidInvocation, 'mcpServers' | 'mcpTools'>>,
  ctx: { sessionId?: string | undefined },
  facts: ServiceFacts,
  newSessionId: () => string = randomUUID,
): Admitted {
  const sessionId = ctx.sessionId ?? req.sessionId ?? newSessionId();
  if (!isValidSessionId(sessionId)) {
    throw new ValidationError(
      'session_id must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit; omit it to start a new session.',
      { field: 'session_id' },
    );
  }
  if (facts.config.provider.kind === 'none') throw new UnavailableError(NO_PROVIDER_MESSAGE, { code: 'no_model_provider' });
  if (facts.closing) throw new UnavailableError('The service is shutting down; retry on its next start.', { code: 'shutting_down' });
  const { sandbox } = facts;
  if (sandbox.kind === 'unavailable') {
    throw new UnavailableError(`The run sandbox is unavailable: ${sandbox.reason}. ${SANDBOX_UNAVAILABLE_HINT}`, {
      code: 'sandbox_unavailable',
    });
  }
  return {
    sessionId,
    egress: egressOf(req.allowedDomains, facts),
    inputs: inputsOf(req.inputPrefix, facts.config.storage),
    mcp: selectMcpServers({ servers: req.mcpServers, tools: req.mcpTools ?? [] }, facts.config.mcp),
  };
}

/**
 * Where `input_s3_prefix` copies from: only with S3 storage, only the deployment's own bucket,
 * only below its `inputs/` (the one prefix the execution role may read).
 * @example inputsOf({ bucket: undefined, key: 'inputs/job-42/' }, { kind: 's3', bucket: 'b', prefix: '' }) // { key: 'inputs/job-42/', shown: 's3://b/inputs/job-42/' }
 */
export function inputsOf(prefix: ValidInvocation['inputPrefix'], storage: Config['storage']): InputSource | undefined {
  if (prefix === undefined) return undefined;
  if (storage.kind !== 's3') {
    throw new ValidationError(
      'input_s3_prefix needs S3 storage, and this service stores files on its disk. Upload the files with POST /sessions/{session_id}/files ' +
        '(cca invoke --file/--dir), then invoke with that session_id.',
      { field: 'input_s3_prefix' },
    );
  }
  if (prefix.bucket !== undefined && prefix.bucket !== storage.bucket) {
    throw new ValidationError(
      `input_s3_prefix names the bucket ${prefix.bucket}; this deployment reads only its own artifact bucket, ${storage.bucket}. ` +
        `Copy the files to s3://${storage.bucket}/${inputsRoot(storage.prefix)}<folder>/ and send that.`,
      { field: 'input_s3_prefix', bucket: storage.bucket },
    );
  }
  const root = inputsRoot(storage.prefix);
  if (!prefix.key.startsWith(root) || prefix.key === root) {
    throw new ValidationError(
      `input_s3_prefix must be a folder below ${root} (got ${prefix.key}): that is the only prefix of the bucket the service may read. ` +
        `Copy the files to s3://${storage.bucket}/${root}<folder>/ and send "${root}<folder>/".`,
      { field: 'input_s3_prefix' },
    );
  }
  const key = storage.prefix === '' ? prefix.key : prefix.key.slice(storage.prefix.length + 1);
  return { key, shown: `s3://${storage.bucket}/${prefix.key}` };
}

/** `inputs/` under the deployment's storage prefix. */
function inputsRoot(storagePrefix: string): string {
  return storagePrefix === '' ? 'inputs/' : `${storagePrefix}/inputs/`;
}

/**
 * The hosts a run may reach (undefined: open); throws when the request asks for more than the
 * deployment allows, or for an allowlist the sandbox cannot enforce.
 * @example egressOf(['api.github.com'], { config, sandbox, closing: false }) // ['api.github.com']
 */
export function egressOf(
  requested: DomainPattern[] | undefined,
  facts: Pick<ServiceFacts, 'config' | 'sandbox'>,
): DomainPattern[] | undefined {
  let domains: DomainPattern[] | undefined;
  try {
    domains = runDomains(facts.config.egress, requested);
  } catch (err) {
    if (!(err instanceof EgressNotAllowedError)) throw err;
    const allowed = err.deployment.length > 0 ? err.deployment.join(', ') : 'no host but the model endpoint';
    throw new ValidationError(`${err.message} This deployment allows: ${allowed}.`, {
      field: 'allowed_domains',
      allowed: err.deployment,
    });
  }
  if (domains === undefined) return undefined;
  const { sandbox } = facts;
  if (sandbox.kind === 'off') {
    throw new ValidationError(
      'allowed_domains needs the run sandbox, and this service runs without one (--no-sandbox / CCA_SANDBOX=off, as in the AgentCore image, ' +
        'where each session has its own microVM). Remove allowed_domains, or send the task to a service that runs its sandbox.',
      { field: 'allowed_domains' },
    );
  }
  if (sandbox.kind === 'bwrap' && !sandbox.network) {
    throw new UnavailableError(
      'Runs with an egress allowlist need a network namespace of their own, which bubblewrap cannot create on this machine ' +
        '(a container without that permission?). Remove allowed_domains, or run the service where network namespaces work.',
      { code: 'egress_unavailable' },
    );
  }
  return domains;
}

/** What is known of a session: its owner if it exists, and whether it has a run queued or running. */
export interface SessionFacts {
  /** The stored session (undefined: none yet); `owner_key_id` null on the unauthenticated runtime. */
  existing: { owner_key_id: string | null } | undefined;
  active: boolean;
}

/**
 * Checks that the caller may start a run in the session (new or theirs) and that none is running there.
 * @example admitToSession(sessionId, ctx.ownerKeyId, { existing: sessions.getSession(sessionId), active: false });
 */
export function admitToSession(sessionId: string, ownerKeyId: string | undefined, facts: SessionFacts): void {
  assertVisible(sessionId, ownerKeyId, facts.existing, { mayNotExist: true });
  if (facts.active) {
    throw new ConflictError(`Session ${sessionId} is already running an invocation; wait for it to finish, or use another session_id.`);
  }
}

/**
 * Throws 404 when the session belongs to another key (or, unless allowed, does not exist).
 * @example assertVisible(sessionId, ownerKeyId, sessions.getSession(sessionId));
 */
export function assertVisible(
  sessionId: string,
  ownerKeyId: string | undefined,
  existing: SessionFacts['existing'],
  opts: { mayNotExist?: boolean } = {},
): void {
  // Another key's session is indistinguishable from one that does not exist.
  const foreign = existing !== undefined && ownerKeyId !== undefined && existing.owner_key_id !== ownerKeyId;
  if (foreign || (existing === undefined && !opts.mayNotExist)) {
    throw new NotFoundError(`Session ${sessionId} was not found; omit session_id to start a new session.`);
  }
}

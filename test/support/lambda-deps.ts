/**
 * The API Lambda's dependencies for unit tests: the bucket in memory, a runtime that answers
 * from a function and records what it was sent (and which sessions it was asked to stop), a
 * clock the test moves, and a sleep that moves it instead of waiting.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { loadConfig } from '../../src/config/index.js';
import type { LambdaDeps } from '../../src/lambda/deps.js';
import { memoryObjects } from '../../src/lambda/objects.js';
import { runtimeError, type RuntimeAnswer, type StatusErrors } from '../../src/lambda/runtime.js';
import { ownerIndexKey } from '../../src/lambda/owner-index.js';
import { ownerKey } from '../../src/lambda/owners.js';
import type { SessionEvent } from '../../src/schemas/events.js';
import { eventSegmentKey, invocationKey, leaseKey, stateKey } from '../../src/state/index.js';
import type { InvocationRecord, SessionStateRecord } from '../../src/state/index.js';

export interface FakeLambda {
  deps: LambdaDeps;
  objects: ReturnType<typeof memoryObjects>;
  calls: { sessionId: string; payload: Record<string, unknown> }[];
  stopped: string[];
  logs: { level: 'error' | 'info'; message: string; fields: Record<string, unknown> }[];
  /** The fake clock, in epoch ms; `sleep` advances it. */
  clock: { now: number };
}

/**
 * Fake dependencies over `answer`, which may throw as InvokeAgentRuntime does: its errors are
 * mapped as the real invoker maps them (a TypeError stays a fault, for tests of unexpected ones).
 * @example const { deps, calls } = fakeLambda(() => ({ status: 200, contentType: 'application/json', body: '{}' }));
 */
export function fakeLambda(
  answer: (payload: Record<string, unknown>, sessionId: string) => RuntimeAnswer | Promise<RuntimeAnswer> = () => ok(),
  opts: {
    prefix?: string;
    now?: string;
    onSleep?: (ms: number) => void | Promise<void>;
    keyMaxConcurrent?: number;
    mcp?: LambdaDeps['config']['mcp'];
  } = {},
): FakeLambda {
  const objects = memoryObjects();
  const calls: FakeLambda['calls'] = [];
  const stopped: string[] = [];
  const logs: FakeLambda['logs'] = [];
  const clock = { now: Date.parse(opts.now ?? '2025-01-01T00:00:00.000Z') };
  const deps: LambdaDeps = {
    config: {
      runtimeArn: 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-b',
      qualifier: 'DEFAULT',
      bucket: 'bkt',
      prefix: opts.prefix ?? 'p',
      agentCoreEndpoint: undefined,
      aws: { region: 'us-east-1', s3Endpoint: undefined, s3ForcePathStyle: false },
      limits: loadConfig({}, {}).limits,
      eventsWaitS: 20,
      mcp: opts.mcp,
      keyMaxConcurrent: opts.keyMaxConcurrent ?? 4,
    },
    runtime: {
      async invoke(sessionId, payload, statuses?: StatusErrors) {
        calls.push({ sessionId, payload });
        try {
          return await answer(payload, sessionId);
        } catch (err) {
          // As the real invoker: InvokeAgentRuntime's errors become ours (only a TypeError stays a fault).
          throw err instanceof TypeError ? err : runtimeError(err, sessionId, statuses);
        }
      },
      async stop(sessionId) {
        stopped.push(sessionId);
        return 'stopped';
      },
    },
    objects,
    store: { links: async (key) => ({ s3_url: `s3://bkt/p/${key}`, console_url: 'c', download_url: `fresh:${key}`, expires_at: 'e' }) },
    now: () => new Date(clock.now),
    sleep: async (ms) => {
      clock.now += ms;
      await opts.onSleep?.(ms);
    },
    logError: (message, fields) => logs.push({ level: 'error', message, fields }),
    logInfo: (message, fields) => logs.push({ level: 'info', message, fields }),
  };
  return { deps, objects, calls, stopped, logs, clock };
}

/** A 200 JSON answer of the runtime. */
export const ok = (body: unknown = { output: { success: true } }, status = 200): RuntimeAnswer => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(body),
});

/** What InvokeAgentRuntime throws when the container answered `status`. */
export const fromRuntime = (status: number) =>
  Object.assign(new Error(`Received error (${status}) from runtime. Please check your CloudWatch logs for more information.`), {
    name: 'RuntimeClientError',
  });

/** A minimal API Gateway event (stage `prod`); `resource` defaults to the path (`{proxy+}`-style matching otherwise). */
export function lambdaEvent(o: {
  method?: string;
  path?: string;
  resource?: string;
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  keyId?: string | null;
  pathParameters?: Record<string, string>;
}): APIGatewayProxyEvent {
  const path = o.path ?? '/invoke';
  return {
    httpMethod: o.method ?? 'POST',
    path,
    resource: o.resource ?? '/{proxy+}',
    pathParameters: o.pathParameters ?? null,
    queryStringParameters: o.query ?? null,
    headers: o.headers ?? {},
    body: o.body === undefined ? null : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    isBase64Encoded: false,
    requestContext: {
      domainName: 'abc.execute-api.us-east-1.amazonaws.com',
      stage: 'prod',
      path: `/prod${path}`,
      identity: { apiKeyId: o.keyId === undefined ? 'key-a' : o.keyId },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** A session as the bucket would hold it: owner record (and index entry), state, invocation records, event segments. */
export interface SeededSession {
  id: string;
  owner?: string;
  createdAt?: string;
  /** false: no owner index entry (a session from before the index). */
  indexed?: boolean;
  state?: Partial<SessionStateRecord> & Pick<SessionStateRecord, 'invocation_id' | 'status'>;
  records?: (Partial<InvocationRecord> & Pick<InvocationRecord, 'invocation_id' | 'status' | 'started_at'>)[];
  /** Segments: first id → events (only `id` and `type` are needed; the rest is filled in). */
  segments?: Record<number, (Partial<SessionEvent> & { id: number })[]>;
  lease?: string;
}

/**
 * Writes `session` under `prefix` in the memory bucket.
 * @example seed(objects, 'p', { id, owner: 'key-a', state: { invocation_id: 'i', status: 'running' } });
 */
export function seed(objects: ReturnType<typeof memoryObjects>, prefix: string, session: SeededSession): void {
  const { id } = session;
  const createdAt = session.createdAt ?? '2025-01-01T00:00:00.000Z';
  const put = (key: string, value: unknown) => objects.data.set(key, JSON.stringify(value));
  if (session.owner !== undefined) {
    put(ownerKey(prefix, id), { owner: session.owner, created_at: createdAt });
    if (session.indexed !== false) put(ownerIndexKey(prefix, session.owner, createdAt, id), { session_id: id, created_at: createdAt });
  }
  if (session.state !== undefined) {
    put(stateKey(prefix, id), {
      session_id: id,
      owner: null,
      prompt: `prompt of ${session.state.invocation_id}`,
      updated_at: createdAt,
      output: null,
      ...session.state,
    });
  }
  for (const record of session.records ?? []) {
    put(invocationKey(prefix, id, record.invocation_id), {
      session_id: id,
      owner: null,
      prompt: `prompt of ${record.invocation_id}`,
      ended_at: null,
      updated_at: record.started_at,
      output: null,
      ...record,
    });
  }
  for (const [first, events] of Object.entries(session.segments ?? {})) {
    const lines = events.map((e) =>
      JSON.stringify({
        session_id: id,
        invocation_id: 'inv-1',
        at: createdAt,
        type: 'assistant.text',
        data: { text: `event ${e.id}` },
        ...e,
      }),
    );
    objects.data.set(eventSegmentKey(prefix, id, Number(first)), lines.map((l) => `${l}\n`).join(''));
  }
  if (session.lease !== undefined) put(leaseKey(prefix, id), { expires_at: session.lease });
}

/**
 * What the bucket holds of a session, read for the Lambda's routes: the runtime's latest state
 * (`state.json`), its invocation records (`invocations/*.json`) and the lease of the worker running
 * it (`lease.json`). Sessions mirrored before invocation records existed have only `state.json`:
 * their one known invocation is made from it, so they read as they always did.
 */
import { invocationKey, invocationRecordOf, invocationsPrefix, leaseKey, stateKey } from '../state/index.js';
import type { InvocationRecord, SessionStateRecord } from '../state/index.js';
import { listAll, type SessionObjects } from './objects.js';

/** How many objects a route reads at once. */
const READS_AT_ONCE = 8;

/** Reads a session's mirrored state; undefined when the runtime has written none. */
export async function readState(objects: SessionObjects, prefix: string, sessionId: string): Promise<SessionStateRecord | undefined> {
  const key = stateKey(prefix, sessionId);
  const value = await objects.getJson(key);
  if (value === undefined) return undefined;
  const record = value as Partial<SessionStateRecord> | null;
  if (typeof record?.invocation_id !== 'string' || typeof record.status !== 'string' || typeof record.prompt !== 'string') {
    throw new Error(`session state ${key} is malformed`);
  }
  return record as SessionStateRecord;
}

/** The ids of a session's invocation records, in key order (not time order). */
export async function invocationIds(objects: SessionObjects, prefix: string, sessionId: string): Promise<string[]> {
  const folder = invocationsPrefix(prefix, sessionId);
  return (await listAll(objects, folder)).flatMap((key) => {
    const id = /^([^/]+)\.json$/.exec(key.slice(folder.length))?.[1];
    return id === undefined ? [] : [id];
  });
}

/**
 * Every invocation of a session, oldest first: its records, and the latest state where it is newer
 * than its record or has none (the record's write failed, or the session predates records).
 * @example const invocations = await readInvocations(objects, prefix, sessionId, await readState(objects, prefix, sessionId));
 */
export async function readInvocations(
  objects: SessionObjects,
  prefix: string,
  sessionId: string,
  state: SessionStateRecord | undefined,
): Promise<InvocationRecord[]> {
  const ids = await invocationIds(objects, prefix, sessionId);
  const records = await mapLimit(ids, READS_AT_ONCE, (id) => readRecord(objects, invocationKey(prefix, sessionId, id)));
  const byId = new Map<string, InvocationRecord>();
  for (const record of records) if (record !== undefined) byId.set(record.invocation_id, record);
  if (state !== undefined) {
    const known = byId.get(state.invocation_id);
    if (known === undefined || known.updated_at < state.updated_at) {
      byId.set(state.invocation_id, invocationRecordOf(state, known?.started_at));
    }
  }
  return [...byId.values()].sort((a, b) =>
    a.started_at === b.started_at ? a.invocation_id.localeCompare(b.invocation_id) : a.started_at.localeCompare(b.started_at),
  );
}

/** When the session's lease ends (epoch ms); undefined when it has none (runtimes before leases, or never run). */
export async function leaseExpiry(objects: SessionObjects, prefix: string, sessionId: string): Promise<number | undefined> {
  const value = (await objects.getJson(leaseKey(prefix, sessionId))) as { expires_at?: unknown } | null | undefined;
  const at = typeof value?.expires_at === 'string' ? Date.parse(value.expires_at) : Number.NaN;
  // A lease that cannot be read says nothing: it is treated as absent.
  return Number.isFinite(at) ? at : undefined;
}

/** Whether a state says an invocation is queued or running. */
export function isInProgress(state: SessionStateRecord | undefined): boolean {
  return state?.status === 'queued' || state?.status === 'running';
}

async function readRecord(objects: SessionObjects, key: string): Promise<InvocationRecord | undefined> {
  const value = (await objects.getJson(key)) as Partial<InvocationRecord> | null | undefined;
  if (value === undefined) return undefined;
  if (typeof value?.invocation_id !== 'string' || typeof value.status !== 'string' || typeof value.started_at !== 'string') {
    throw new Error(`invocation record ${key} is malformed`);
  }
  return value as InvocationRecord;
}

/**
 * `fn` over `items`, at most `limit` at a time, results in order.
 * @example const states = await mapLimit(ids, 8, (id) => readState(objects, prefix, id));
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

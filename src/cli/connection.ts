/**
 * Where the service is and which key to send: shared by every command that talks to the API
 * (`api`, `invoke`, `sessions`, `session`, `cancel`, `approve`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/index.js';
import { describeNetworkError } from './api-report.js';
import { httpRequest, type HttpReply, type HttpRequestInit } from './http-request.js';
import { UsageError, type CliIo } from './io.js';

/** The flags every command that calls the service takes. */
export interface ConnectionFlags {
  endpoint?: string;
  'api-key'?: string;
  'data-dir'?: string;
}

/** The resolved service: its `/invoke` URL and the API key to send as `x-api-key`. */
export interface Connection {
  invokeUrl: URL;
  apiKey: string;
}

/**
 * Resolves `--endpoint`, `--api-key` and `--data-dir` (each beating its environment variable).
 * @example const conn = resolveConnection(values, process.env);
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv, cwd?: string): Connection {
  return {
    invokeUrl: resolveEndpoint(flags.endpoint, env),
    apiKey: resolveApiKey(flags['api-key'], env, () => loadConfig({ 'data-dir': flags['data-dir'] }, env, undefined, cwd).dataDir),
  };
}

/**
 * A route of the service beside `/invoke` (the endpoint may carry a stage prefix such as `/prod`).
 * @example serviceUrl(conn, '/sessions', { limit: '20' }).href // 'http://127.0.0.1:8080/sessions?limit=20'
 */
export function serviceUrl(conn: Connection, route: string, query: Record<string, string | undefined> = {}): URL {
  const url = new URL(conn.invokeUrl.href);
  url.pathname = url.pathname.replace(/\/invoke$/, '') + route;
  url.search = '';
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/**
 * The files route of one invocation, a full page of it: what the CLI names to list a long file list.
 * @example filesListUrl(conn)('sess_1', 'inv_1') // 'http://127.0.0.1:8080/sessions/sess_1/files?invocation_id=inv_1&limit=1000'
 */
export function filesListUrl(conn: Connection): (sessionId: string, invocationId: string) => string {
  return (sessionId, invocationId) =>
    serviceUrl(conn, sessionRoute(sessionId, '/files'), { invocation_id: invocationId, limit: '1000' }).href;
}

/** `/sessions/<id>` with the id escaped, plus an optional sub-route. */
export function sessionRoute(sessionId: string, sub = ''): string {
  return `/sessions/${encodeURIComponent(sessionId)}${sub}`;
}

/**
 * The invoke URL: `--endpoint`, else CCA_ENDPOINT, else the local service; `/invoke` is appended
 * unless the path already ends in it (the original's API_ENDPOINT does).
 * @example resolveEndpoint(undefined, { CCA_ENDPOINT: 'https://x.execute-api.us-east-1.amazonaws.com/prod' }).href // '.../prod/invoke'
 */
export function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv): URL {
  const raw = nonEmpty(flag) ?? nonEmpty(env.CCA_ENDPOINT) ?? 'http://127.0.0.1:8080';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--endpoint / CCA_ENDPOINT must be an http(s) URL such as http://127.0.0.1:8080; got "${raw}".`);
  }
  const trimmed = url.pathname.replace(/\/+$/, '');
  url.pathname = trimmed.endsWith('/invoke') ? trimmed : `${trimmed}/invoke`;
  return url;
}

/**
 * The API key: `--api-key`, else CCA_API_KEY, else the file `<data dir>/.api_key` (trimmed).
 * `dataDir` is called only when the file is needed, so a key given outright needs no configuration.
 */
export function resolveApiKey(flag: string | undefined, env: NodeJS.ProcessEnv, dataDir: () => string): string {
  const given = nonEmpty(flag) ?? nonEmpty(env.CCA_API_KEY);
  if (given !== undefined) return given;
  const file = path.join(dataDir(), '.api_key');
  let problem: string;
  try {
    const fromFile = nonEmpty(fs.readFileSync(file, 'utf8'));
    if (fromFile !== undefined) return fromFile;
    problem = 'empty';
  } catch (err) {
    problem = err instanceof Error && 'code' in err && err.code === 'ENOENT' ? 'not found' : `unreadable: ${(err as Error).message}`;
  }
  throw new UsageError(
    `no API key: looked at --api-key, CCA_API_KEY and ${file} (${problem}).\n` +
      `  Create one with: cca keys create --name me   (then pass it with --api-key or CCA_API_KEY)\n` +
      `  or start "cca serve" once: it writes a key to <data dir>/.api_key.`,
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Sends one request with the API key; when no answer comes, prints why and returns undefined.
 * @example const reply = await callService(io, conn, serviceUrl(conn, '/sessions'), { method: 'GET' });
 */
export async function callService(io: CliIo, conn: Connection, url: URL, init: HttpRequestInit): Promise<HttpReply | undefined> {
  try {
    return await httpRequest(url, { ...init, headers: { ...init.headers, 'x-api-key': conn.apiKey } });
  } catch (err) {
    io.stderr(`cca: ${describeNetworkError(err, url.href)}\n`);
    return undefined;
  }
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type ServiceMode } from '../config/index.js';
import { KeyRepo } from '../keys/index.js';
import { openDatabase } from '../store/index.js';
import { buildApp } from './app.js';

/** A serve or runtime app over a real database; the other parts are never called while routes are only listed. */
function appOf(mode: ServiceMode) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cca-app-'));
  const config = loadConfig({}, {}, { host: '127.0.0.1', port: 0, mode }, dataDir);
  const db = openDatabase(dataDir);
  const unused = {} as never;
  const parts = { sessions: unused, store: unused, local: unused, signer: unused, events: unused, service: unused };
  return buildApp({
    config,
    version: '1',
    db,
    keys: new KeyRepo(db),
    ...parts,
    slots: unused,
    activity: unused,
    logger: unused,
    now: Date.now,
  });
}

/** The routes Hono serves, as `METHOD /path` in the document's spelling. */
function served(app: ReturnType<typeof appOf>): string[] {
  const routes = app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}').replace('/files/*', '/files/{key}')}`);
  return [...new Set(routes)].sort();
}

/** The operations the generated document lists. */
function documented(app: ReturnType<typeof appOf>): string[] {
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
  return Object.entries(doc.paths ?? {})
    .flatMap(([p, item]) => Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${p}`))
    .sort();
}

describe('buildApp', () => {
  it('serve: every route it serves is declared in the document, and nothing else is', () => {
    const app = appOf('serve');
    expect(served(app)).toEqual(documented(app));
    expect(documented(app)).toEqual(
      [
        'GET /docs',
        'GET /files/{key}',
        'GET /health',
        'GET /openapi.json',
        'GET /ping',
        'GET /sessions',
        'GET /sessions/{session_id}',
        'GET /sessions/{session_id}/events',
        'POST /invocations',
        'POST /invoke',
        'POST /sessions/{session_id}/cancel',
        'POST /sessions/{session_id}/permissions/{request_id}',
      ].sort(),
    );
  });

  it('runtime: the AgentCore contract and downloads only, all declared', () => {
    const app = appOf('runtime');
    expect(served(app)).toEqual(documented(app));
    expect(documented(app)).toEqual(['GET /files/{key}', 'GET /ping', 'POST /invocations']);
  });
});

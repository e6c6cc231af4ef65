/**
 * The OpenAPI document of a `cca serve` app, as `/openapi.json` serves it, without starting the
 * service: the app is built over a real database (the key middleware prepares its statements) and
 * parts that are never called, because generating the document runs no handler.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Limits } from '../../src/config/index.js';
import { buildOpenApi, type OpenApiDocument } from '../../src/gateway/index.js';
import { KeyRepo } from '../../src/keys/index.js';
import { buildApp } from '../../src/server/app.js';
import { openDatabase } from '../../src/store/index.js';

/** Options of the document: its version, public URL and the limits it states. */
export interface DocumentOptions {
  version: string;
  serverUrl?: string;
  limits: Pick<Limits, 'maxBodyBytes' | 'maxPromptChars'>;
}

/** Builds the document of a serve-mode app with local storage (so `/files/{key}` is served). */
export function serviceDocument(opts: DocumentOptions): OpenApiDocument {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cca-doc-'));
  const base = loadConfig({}, {}, { host: '127.0.0.1', port: 0, mode: 'serve' }, dataDir);
  const config = { ...base, limits: { ...base.limits, ...opts.limits }, publicUrl: opts.serverUrl };
  const db = openDatabase(dataDir);
  const unused = {} as never;
  const app = buildApp({
    config,
    version: opts.version,
    db,
    keys: new KeyRepo(db),
    sessions: unused,
    store: unused,
    local: unused,
    signer: unused,
    events: unused,
    service: unused,
    slots: unused,
    activity: unused,
    logger: unused,
    now: Date.now,
  });
  const doc = buildOpenApi(app, { version: opts.version, ...(opts.serverUrl ? { serverUrl: opts.serverUrl } : {}), limits: config.limits });
  db.close();
  return doc;
}

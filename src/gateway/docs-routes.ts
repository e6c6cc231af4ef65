/**
 * `GET /openapi.json` and `GET /docs`: the API document generated from the zod schemas, and a
 * readable page of it. Both are built once at start-up; neither needs a key.
 */
import { Hono } from 'hono';
import { buildOpenApi, renderDocsPage } from './openapi/index.js';
import type { Config } from '../config/index.js';
import type { CallerEnv } from '../runtime/invoke-route.js';

/** Routes serving the OpenAPI document and the docs page. */
export function docsRoutes(config: Config, version: string): Hono<CallerEnv> {
  const doc = buildOpenApi({ version, ...(config.publicUrl ? { serverUrl: config.publicUrl } : {}), limits: config.limits });
  const json = JSON.stringify(doc, null, 2);
  const page = renderDocsPage(doc);
  const app = new Hono<CallerEnv>();
  app.get('/openapi.json', (c) => c.body(json, 200, { 'content-type': 'application/json; charset=utf-8' }));
  app.get('/docs', (c) => c.html(page));
  return app;
}

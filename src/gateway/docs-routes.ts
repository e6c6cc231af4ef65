/**
 * `GET /openapi.json` and `GET /docs`: the API document generated from the route declarations of
 * the finished app, and a readable page of it. Both are built on first use (every route must be
 * mounted by then); neither needs a key.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config/index.js';
import { PAGE_HEADERS, serveDeclared } from '../http/index.js';
import type { CallerEnv } from '../runtime/index.js';
import { buildOpenApi, renderDocsPage } from './openapi/index.js';

const openApiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'openapi',
  tags: ['Service'],
  summary: 'This OpenAPI 3.1 document',
  security: [],
  responses: { 200: { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } } },
});

const docsRoute = createRoute({
  method: 'get',
  path: '/docs',
  operationId: 'docs',
  tags: ['Service'],
  summary: 'This documentation as a web page',
  security: [],
  responses: {
    200: {
      description:
        'An HTML page: the reference, with a "Try it" form for each operation (its script and style are served from `/assets/docs/`).',
      content: { 'text/html': { schema: { type: 'string' } } },
    },
  },
});

/**
 * Serves the document of `app` (the whole service, these two routes included) and its page.
 * @example serveDocs(app, config, VERSION) // after every other route group is mounted
 */
export function serveDocs(app: OpenAPIHono<CallerEnv>, config: Config, version: string): void {
  let built: { json: string; page: string } | undefined;
  const docs = () => {
    if (built === undefined) {
      const doc = buildOpenApi(app, { version, ...(config.publicUrl ? { serverUrl: config.publicUrl } : {}), limits: config.limits });
      built = { json: JSON.stringify(doc, null, 2), page: renderDocsPage(doc) };
    }
    return built;
  };
  serveDeclared(app, openApiRoute, '/openapi.json', async (c) =>
    c.body(docs().json, 200, { 'content-type': 'application/json; charset=utf-8' }),
  );
  serveDeclared(app, docsRoute, '/docs', async (c) => c.html(docs().page, 200, PAGE_HEADERS));
}

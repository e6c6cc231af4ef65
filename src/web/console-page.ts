/**
 * `GET /`: the web console's HTML shell. It loads the built `/assets/console/main.js` and
 * `main.css` and nothing else, under a policy that lets the page run only this service's own
 * script and style and talk only to this origin. A checkout that was never built says how to fix it.
 */
import type { Hono } from 'hono';
import { PAGE_HEADERS } from '../http/index.js';
import type { WebAsset } from './assets.js';

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Claude Code Agent console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console/main.css">
<script type="module" src="/assets/console/main.js"></script>
</head>
<body>
<div id="app"><noscript>The console needs JavaScript. The API is documented at <a href="/docs">/docs</a>.</noscript></div>
</body>
</html>
`;

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Console not built</title></head>
<body>
<h1>The web console was not built</h1>
<p>This checkout has no <code>dist/assets/console/</code>. Build it with <code>npm run build</code> (or <code>npm install</code>), then restart the service.</p>
<p>The API itself works: its reference is at <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

/**
 * Serves the console at `GET /` (and HEAD): the shell when `assets` has the built console, else a
 * page saying to run `npm run build`.
 * @example serveConsole(app, loadWebAssets())
 */
export function serveConsole(app: Hono<any>, assets: Map<string, WebAsset>): void {
  const built = assets.has('console/main.js');
  app.get('/', (c) => (built ? c.body(SHELL, 200, PAGE_HEADERS) : c.body(NOT_BUILT, 503, PAGE_HEADERS)));
}

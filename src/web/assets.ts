/**
 * The browser apps' built files (`dist/assets/<app>/`, made by `scripts/build-web.mjs` during
 * `npm run build`; not `dist/web/`, where tsc puts this folder's own code), served at
 * `/assets/<app>/<file>`. The folder is read once at start: a file name is served only if the
 * build made it, so no request path ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** One built file, held in memory (the apps are small). */
export interface WebAsset {
  body: Uint8Array;
  type: string;
  /** A strong validator from the content, so a browser revalidates cheaply after an upgrade. */
  etag: string;
}

/** `dist/assets/` of this checkout: two levels up from `src/web/` (tests) or `dist/web/` (built). */
export function defaultWebDir(): string {
  return fileURLToPath(new URL('../../dist/assets/', import.meta.url));
}

/**
 * Reads every built file under `dir` into a map keyed `<app>/<file>`; a missing folder gives an
 * empty map (a checkout that was never built serves no assets, and says so at `/`).
 * @example const assets = loadWebAssets(); assets.get('console/main.js')
 */
export function loadWebAssets(dir = defaultWebDir()): Map<string, WebAsset> {
  const found = new Map<string, WebAsset>();
  if (!fs.existsSync(dir)) return found;
  for (const app of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!app.isDirectory()) continue;
    for (const file of fs.readdirSync(path.join(dir, app.name), { withFileTypes: true })) {
      const type = TYPES[path.extname(file.name)];
      if (!file.isFile() || type === undefined) continue;
      const body = fs.readFileSync(path.join(dir, app.name, file.name));
      const etag = `"${createHashHex(body)}"`;
      found.set(`${app.name}/${file.name}`, { body, type, etag });
    }
  }
  return found;
}

function createHashHex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 27);
}

/**
 * Serves `assets` at `GET /assets/<app>/<file>` with their type, `nosniff` and an ETag; anything
 * else under `/assets/` falls through to the app's 404.
 * @example serveWebAssets(app, loadWebAssets())
 */
export function serveWebAssets(app: Hono<any>, assets: Map<string, WebAsset>): void {
  app.get('/assets/:app/:file', (c, next) => {
    const asset = assets.get(`${c.req.param('app')}/${c.req.param('file')}`);
    if (asset === undefined) return next();
    const headers = {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
    };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, headers);
  });
}

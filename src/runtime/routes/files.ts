import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { ForbiddenError, NotFoundError, toErrorResponse } from '../../errors/index.js';
import { routeGroup, serveDeclared } from '../../http/index.js';
import { error } from '../../http/openapi-responses.js';
import { contentTypeFor, keyBaseName, keySegments, type LocalArtifactStore, type UrlSigner } from '../../artifacts/index.js';

const PREFIX = '/files/';

/** The declaration of `GET /files/{key}`: signed, expiring links that need no API key. */
export const filesRoute = createRoute({
  method: 'get',
  path: '/files/{key}',
  operationId: 'downloadFile',
  tags: ['Service'],
  summary: 'Download a stored file (signed link)',
  description: 'The `download_url` of an uploaded file: signed, expiring, no API key. `key` is the storage key, slashes included.',
  security: [],
  request: {
    params: z.object({ key: z.string().meta({ description: 'Storage key, e.g. outputs/20250101_120000_3f2a9c1e/app/main.py.' }) }),
    query: z.object({
      expires: z.int().meta({ description: 'Unix seconds when the link expires.' }),
      signature: z.string().meta({ description: 'Signature of key and expiry.' }),
    }),
  },
  responses: {
    200: {
      description: 'The file, as an attachment.',
      content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
    },
    403: error('The link is invalid or has expired.', {
      message: 'This download link is invalid or has expired. Request a new link through the session that produced the file.',
      code: 'forbidden',
    }),
    404: error('No stored file at this link.', { message: 'No stored file at this link.', code: 'not_found' }),
  },
});

/** A Hono app serving signed `GET`/`HEAD /files/*` downloads from the local store, without an API key; `now` returns ms. */
export function filesRoutes(store: LocalArtifactStore, signer: UrlSigner, opts: { now?: () => number } = {}): OpenAPIHono {
  const now = opts.now ?? Date.now;
  const app = routeGroup();

  // Set on this app so the JSON errors survive being mounted with app.route().
  app.onError((err, c) => {
    const { status, body } = toErrorResponse(err);
    return c.json(body, status as ContentfulStatusCode);
  });

  // The key is read from the raw URL (see keyFromUrl) and checked by the signature, not by a schema.
  serveDeclared(app, filesRoute, '/files/*', async function serveSignedFile(c) {
    const key = keyFromUrl(c.req.url);
    // Checked before the file system is touched: without a valid link nobody learns what exists.
    if (key === undefined) throw notFound();
    const expires = c.req.query('expires') ?? '';
    const signature = c.req.query('signature') ?? '';
    const nowSeconds = Math.floor(now() / 1000);
    if (!/^\d{1,15}$/.test(expires) || !signer.verify(key, Number(expires), signature, nowSeconds)) {
      throw new ForbiddenError(
        'This download link is invalid or has expired. Request a new link through the session that produced the file.',
      );
    }
    const stored = await store.stat(key);
    if (stored === undefined) throw notFound();
    // Hono answers HEAD through this GET handler; opening the file then would leak its descriptor.
    if (c.req.method === 'HEAD') return c.body(null, 200, downloadHeaders(key, stored.size));

    // O_NOFOLLOW closes the gap between stat() and open(): a file swapped for a symlink is refused.
    const handle = await open(stored.path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (handle === undefined) throw notFound();
    // The size of what is actually open: a concurrent overwrite renames a new file in, this one stays whole.
    const { size } = await handle.stat();
    const body = Readable.toWeb(handle.createReadStream());
    return c.body(body, 200, downloadHeaders(key, size));
  });

  return app;
}

// Works on the raw URL, not the decoded path, so that "%2F" inside a segment stays one
// segment and is then refused, instead of silently becoming a separator.
function keyFromUrl(url: string): string | undefined {
  const { pathname } = new URL(url);
  if (!pathname.startsWith(PREFIX)) return undefined;
  const segments: string[] = [];
  for (const raw of pathname.slice(PREFIX.length).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment.includes('/')) return undefined;
    segments.push(segment);
  }
  const key = segments.join('/');
  return keySegments(key) === undefined ? undefined : key;
}

function downloadHeaders(key: string, size: number): Record<string, string> {
  return {
    'Content-Type': contentTypeFor(key),
    'Content-Length': String(size),
    'Content-Disposition': `attachment; filename*=UTF-8''${encodeRfc5987(keyBaseName(key))}`,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, max-age=0',
    // Agents write HTML and SVG too: if a browser ever renders one, it runs in a sandbox.
    'Content-Security-Policy': "default-src 'none'; sandbox",
  };
}

// RFC 5987 attr-chars exclude ' ( ) *, which encodeURIComponent leaves as they are.
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function notFound(): NotFoundError {
  return new NotFoundError('No stored file at this link. Check the URL, or request a new link through the session.');
}

import { posix } from 'node:path';

const UTF8 = '; charset=utf-8';

// Text types carry a charset so browsers and curl do not guess (agents write UTF-8).
const TYPES = new Map<string, string>([
  ['.txt', `text/plain${UTF8}`],
  ['.md', `text/plain${UTF8}`],
  ['.log', `text/plain${UTF8}`],
  ['.py', `text/x-python${UTF8}`],
  ['.sh', `text/x-shellscript${UTF8}`],
  ['.js', `text/javascript${UTF8}`],
  ['.mjs', `text/javascript${UTF8}`],
  ['.cjs', `text/javascript${UTF8}`],
  ['.ts', `text/x-typescript${UTF8}`],
  ['.css', `text/css${UTF8}`],
  ['.csv', `text/csv${UTF8}`],
  ['.tsv', `text/tab-separated-values${UTF8}`],
  ['.yaml', `text/yaml${UTF8}`],
  ['.yml', `text/yaml${UTF8}`],
  ['.html', `text/html${UTF8}`],
  ['.htm', `text/html${UTF8}`],
  ['.json', 'application/json'],
  ['.xml', 'application/xml'],
  ['.pdf', 'application/pdf'],
  ['.zip', 'application/zip'],
  ['.gz', 'application/gzip'],
  ['.tar', 'application/x-tar'],
  ['.wasm', 'application/wasm'],
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.gif', 'image/gif'],
  ['.webp', 'image/webp'],
  ['.svg', 'image/svg+xml'],
]);

/** A reasonable Content-Type from the file extension; application/octet-stream when unknown. */
export function contentTypeFor(relPath: string): string {
  return TYPES.get(posix.extname(relPath).toLowerCase()) ?? 'application/octet-stream';
}

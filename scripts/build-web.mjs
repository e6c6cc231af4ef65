#!/usr/bin/env node
/**
 * Bundles each browser app `web/<app>/main.ts` or `main.tsx` into `dist/web/<app>/main.js` (and
 * `main.css` when the app imports CSS): one file each, minified, with everything inside, so the
 * pages load nothing from outside the service and run under a `script-src 'self'` policy.
 *
 *   node scripts/build-web.mjs
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(root, 'web');
const outRoot = path.join(root, 'dist/web');

const apps = fs
  .readdirSync(webDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const entry = ['main.tsx', 'main.ts'].map((f) => path.join(webDir, d.name, f)).find((f) => fs.existsSync(f));
    return entry === undefined ? undefined : { name: d.name, entry };
  })
  .filter((a) => a !== undefined);

fs.rmSync(outRoot, { recursive: true, force: true });
for (const app of apps) {
  await build({
    entryPoints: [app.entry],
    outdir: path.join(outRoot, app.name),
    entryNames: 'main',
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // Images and fonts an app imports are inlined: the policy allows `data:` images only.
    loader: { '.svg': 'dataurl', '.png': 'dataurl' },
    legalComments: 'none',
    logLevel: 'warning',
  });
}
console.error(`build-web: ${apps.length} app(s) into ${path.relative(root, outRoot)}/ (${apps.map((a) => a.name).join(', ') || 'none'})`);

#!/usr/bin/env node
/**
 * Bundles each browser app `web/<app>/main.ts` or `main.tsx` into `dist/assets/<app>/main.js` (and
 * `main.css` when the app imports CSS): one file each, minified, with everything inside, so the
 * pages load nothing from outside the service and run under a `script-src 'self'` policy. Not
 * `dist/web/`: tsc puts `src/web/` there.
 *
 *   node scripts/build-web.mjs
 *
 * `scripts/build.mjs` runs it through `buildWeb()`, which also returns the files it read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(root, 'web');
const outRoot = path.join(root, 'dist/assets');

/**
 * Builds every app into `dist/assets/` (removing what an earlier build left) and returns the
 * files the bundles were made of, relative to the checkout.
 */
export async function buildWeb() {
  if (fs.existsSync(path.join(root, 'src/assets'))) {
    throw new Error('build-web: src/assets/ would be compiled into dist/assets/, where the web apps go: rename one of them.');
  }
  const apps = fs
    .readdirSync(webDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const entry = ['main.tsx', 'main.ts'].map((f) => path.join(webDir, d.name, f)).find((f) => fs.existsSync(f));
      return entry === undefined ? undefined : { name: d.name, entry };
    })
    .filter((a) => a !== undefined);

  fs.rmSync(outRoot, { recursive: true, force: true });
  const inputs = new Set();
  for (const app of apps) {
    const result = await build({
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
      absWorkingDir: root,
      metafile: true,
    });
    for (const input of Object.keys(result.metafile.inputs)) inputs.add(input);
  }
  console.error(`build-web: ${apps.length} app(s) into ${path.relative(root, outRoot)}/ (${apps.map((a) => a.name).join(', ') || 'none'})`);
  return [...inputs].sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildWeb();

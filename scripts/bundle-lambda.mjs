#!/usr/bin/env node
/**
 * Bundles the API Lambda (src/lambda/handler.ts, export `handler`) into dist/lambda/index.mjs:
 * one ESM file for the Node.js 22 Lambda runtime with every dependency inside, the AWS SDK
 * clients included so their versions are the ones package-lock.json pins, not the runtime's.
 *
 *   node scripts/bundle-lambda.mjs [--entry FILE] [--outfile FILE]
 *
 * Without --entry, a checkout that has no handler yet is skipped with a note (exit 0), so
 * `npm run build` keeps working; an explicit --entry that is missing is an error.
 * `scripts/build.mjs` runs it through `bundleLambda()`, which also returns the files it read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundles `entry` into `outfile` and returns the files the bundle was made of, relative to the
 * checkout (those of node_modules too); `[]` when the default entry does not exist.
 */
export async function bundleLambda({ entry: given, outfile: out } = {}) {
  const entry = path.resolve(given ?? path.join(root, 'src/lambda/handler.ts'));
  const outfile = path.resolve(out ?? path.join(root, 'dist/lambda/index.mjs'));
  if (!fs.existsSync(entry)) {
    if (given !== undefined) throw new Error(`bundle-lambda: ${entry} does not exist.`);
    console.error(`bundle-lambda: no ${path.relative(root, entry)} yet; the API Lambda bundle was not built.`);
    return [];
  }
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Node built-ins stay external (platform node); nothing else does.
    external: [],
    // Dependencies come from this package's node_modules (the versions package-lock.json pins), wherever the entry is.
    nodePaths: [path.join(root, 'node_modules')],
    // Some bundled CommonJS code calls require() (of built-ins): ESM has no require, so make one.
    banner: {
      js: "import { createRequire as __ccaCreateRequire } from 'node:module'; const require = __ccaCreateRequire(import.meta.url);",
    },
    sourcemap: false,
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: root,
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  const shown = outfile.startsWith(root + path.sep) ? path.relative(root, outfile) : outfile;
  console.log(`bundle-lambda: ${shown} (${(bytes / 1024).toFixed(0)} KiB)`);
  return Object.keys(result.metafile.inputs).sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { entry: { type: 'string' }, outfile: { type: 'string' } }, strict: true });
  try {
    await bundleLambda(values);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

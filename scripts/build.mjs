#!/usr/bin/env node
/**
 * Builds dist/ in three parts: the service (tsc: src/ -> dist/), the API Lambda bundle
 * (dist/lambda/) and the browser apps (dist/assets/).
 *
 *   node scripts/build.mjs            everything, into an emptied dist/ (npm run build, npm install)
 *   node scripts/build.mjs --changed  only the parts whose inputs changed (npm start, npm test)
 *
 * Each part records in dist/.build-state.json the content hash of every file it was built from
 * and the files it made; --changed rebuilds a part when one of those inputs changed, appeared or
 * went away, or one of its outputs is missing. A part's record is removed before it builds and
 * written only once it succeeded, so a failed or interrupted build is built again next time.
 * tsc itself is incremental (dist/.tsbuildinfo) and re-emits only what changed; afterwards every
 * file in dist/ whose source is gone is deleted, so a removed module cannot still be imported.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildWeb } from './build-web.mjs';
import { bundleLambda } from './bundle-lambda.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stateFile = path.join(dist, '.build-state.json');
const FORMAT = 1;

/**
 * What every part reads besides its own files: the manifest (`type` decides ESM output), the
 * lockfile and the tree npm actually installed (node_modules/.package-lock.json: types for tsc,
 * packages for the bundles), and this script.
 */
const COMMON = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'scripts/build.mjs'];
/** The bundles' outputs, beside tsc's (src/lambda/ compiles into dist/lambda/ too). */
const LAMBDA_BUNDLE = 'dist/lambda/index.mjs';
const WEB_OUT = 'dist/assets';

const PARTS = [
  {
    name: 'service',
    // tsconfig.build.json compiles src/ without its tests; other files in src/ may be read at run time.
    inputs: () => [...COMMON, 'tsconfig.json', 'tsconfig.build.json', ...walk('src').filter((f) => !f.endsWith('.test.ts'))],
    build: buildService,
    // Everything in dist/ but the bundles and this script's own records (dot files).
    outputs: () => walk('dist').filter((f) => f !== LAMBDA_BUNDLE && !f.startsWith(`${WEB_OUT}/`) && !path.basename(f).startsWith('.')),
  },
  {
    name: 'lambda',
    // The bundle's own list of what it read (node_modules stands behind the lockfiles); the entry
    // always, so a checkout that gains one builds it.
    inputs: (read) => [...COMMON, 'tsconfig.json', 'scripts/bundle-lambda.mjs', 'src/lambda/handler.ts', ...read],
    build: () => bundleLambda(),
    outputs: () => (fs.existsSync(path.join(root, LAMBDA_BUNDLE)) ? [LAMBDA_BUNDLE] : []),
  },
  {
    name: 'web',
    // All of web/ (a new app is a new folder), and whatever else the bundles read (src/ types, say).
    inputs: (read) => [...COMMON, 'scripts/build-web.mjs', ...walk('web'), ...read],
    build: () => buildWeb(),
    outputs: () => walk(WEB_OUT),
  },
];

const { values } = parseArgs({ options: { changed: { type: 'boolean', default: false } }, strict: true });
try {
  process.exitCode = await (values.changed ? buildChanged() : buildAll());
} catch (err) {
  console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

/** The full build: an empty dist/, then every part. */
async function buildAll() {
  fs.rmSync(dist, { recursive: true, force: true });
  const state = { format: FORMAT, parts: {} };
  for (const part of PARTS) await runPart(part, state);
  return 0;
}

/** Builds the parts whose inputs or outputs changed since their last successful build. */
async function buildChanged() {
  const state = readState();
  const stale = [];
  for (const part of PARTS) {
    const reason = staleness(part, state.parts[part.name]);
    if (reason !== undefined) stale.push({ part, reason });
  }
  if (stale.length === 0) {
    console.error(`build: dist/ is up to date (${PARTS.map((p) => p.name).join(', ')}); "npm run build" rebuilds it all.`);
    return 0;
  }
  for (const { part, reason } of stale) {
    console.error(`build: ${part.name}: ${reason}`);
    await runPart(part, state);
  }
  return 0;
}

/** Why `part` must be built again, or undefined when its record still matches the checkout. */
function staleness(part, record) {
  if (record === undefined) return 'not built yet (or its last build failed)';
  const now = hashAll(part.inputs(record.read));
  const changed = [...new Set([...Object.keys(now), ...Object.keys(record.inputs)])].filter((f) => now[f] !== record.inputs[f]);
  if (changed.length > 0)
    return `${changed.length} input(s) changed: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', ...' : ''}`;
  const missing = record.outputs.filter((f) => !fs.existsSync(path.join(root, f)));
  if (missing.length > 0) return `${missing.length} output(s) missing: ${missing.slice(0, 5).join(', ')}`;
  return undefined;
}

/** Builds one part; its record is gone while it builds and comes back only if it succeeded. */
async function runPart(part, state) {
  // Hashed before building: a file edited during the build makes the next run build again.
  const before = hashAll(part.inputs([]));
  delete state.parts[part.name];
  writeState(state);
  const read = ((await part.build()) ?? []).filter(isOwnFile);
  const inputs = { ...before, ...hashAll(read) };
  state.parts[part.name] = { inputs, read, outputs: part.outputs() };
  writeState(state);
}

/** tsc, incremental (tsconfig.build.json keeps dist/.tsbuildinfo), then the outputs whose source is gone are deleted. */
function buildService() {
  // tsc trusts its build info: outputs deleted behind its back would not be emitted again.
  const compiled = walk('src').filter((f) => /\.(ts|tsx|js|mts|cts|mjs|cjs)$/.test(f) && !/\.(test|d)\.ts$/.test(f));
  const expected = compiled.map(
    (f) =>
      'dist' +
      f
        .slice('src'.length)
        .replace(/\.tsx?$/, '.js')
        .replace(/\.mts$/, '.mjs')
        .replace(/\.cts$/, '.cjs'),
  );
  if (expected.some((f) => !fs.existsSync(path.join(root, f)))) fs.rmSync(path.join(dist, '.tsbuildinfo'), { force: true });
  const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status ?? result.signal}); dist/ is not up to date.`);
  const removed = pruneOrphans();
  if (removed.length > 0) console.error(`build: removed ${removed.length} file(s) of deleted sources: ${removed.slice(0, 5).join(', ')}`);
  return [];
}

/** Deletes tsc's outputs in dist/ whose source in src/ no longer exists; returns them. */
function pruneOrphans() {
  const SOURCES = { '.js': ['.ts', '.tsx', '.js', '.jsx'], '.cjs': ['.cts', '.cjs'], '.mjs': ['.mts', '.mjs'], '.json': ['.json'] };
  const removed = [];
  for (const file of PARTS[0].outputs()) {
    const rel = path.relative('dist', file).replace(/\.map$/, '');
    const ext = path.extname(rel);
    const stem = path.join('src', rel.slice(0, rel.length - ext.length));
    const candidates = SOURCES[ext];
    if (candidates === undefined || candidates.some((e) => fs.existsSync(path.join(root, stem + e)))) continue;
    fs.rmSync(path.join(root, file));
    removed.push(file);
  }
  removeEmptyDirs(dist);
  return removed;
}

function removeEmptyDirs(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyDirs(path.join(dir, entry.name));
  }
  if (dir !== dist && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

/** Files under `dir` (relative to the checkout, `/`-separated), none if it does not exist. */
function walk(dir) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** A file of this checkout that a bundle read (not node_modules, which the lockfiles stand for; not esbuild's virtual modules). */
function isOwnFile(f) {
  return !f.includes(':') && !f.startsWith('../') && !f.split('/').includes('node_modules');
}

/** `{ file: sha256 }` for each file; null for one that does not exist (so its appearing counts as a change). */
function hashAll(files) {
  const out = {};
  for (const f of files) {
    let body;
    try {
      body = fs.readFileSync(path.join(root, f));
    } catch {
      out[f] = null;
      continue;
    }
    out[f] = createHash('sha256').update(body).digest('base64url');
  }
  return out;
}

function readState() {
  try {
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    if (state.format === FORMAT && typeof state.parts === 'object' && state.parts !== null) return state;
  } catch {
    // No record (never built with this script, or dist/ was removed): build everything.
  }
  return { format: FORMAT, parts: {} };
}

/** Written whole and renamed into place, so a crash never leaves half a record. */
function writeState(state) {
  fs.mkdirSync(dist, { recursive: true });
  const tmp = `${stateFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, stateFile);
}

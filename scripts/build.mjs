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
 * went away, or one of its outputs is missing. While a part builds, its record is marked
 * incomplete, and only success replaces it: a failed or interrupted build is never taken for fresh.
 * The service part transpiles a few changed files of src/ alone (scripts/transpile.mjs: tsc's
 * output, without the type check) and otherwise runs tsc, incremental (dist/.tsbuildinfo);
 * afterwards every file in dist/ whose source is gone is deleted, so a removed module cannot still
 * be imported.
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
 * packages for the bundles), and this script. Not bin/: bin/cca is not built, it runs dist/.
 */
const COMMON = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'scripts/build.mjs'];
/** The bundles' outputs, beside tsc's (src/lambda/ compiles into dist/lambda/ too). */
const LAMBDA_BUNDLE = 'dist/lambda/index.mjs';
const WEB_OUT = 'dist/assets';

const PARTS = [
  {
    name: 'service',
    // tsconfig.build.json compiles src/ without its tests; other files in src/ may be read at run time.
    inputs: () => [
      ...COMMON,
      'scripts/transpile.mjs',
      'tsconfig.json',
      'tsconfig.build.json',
      ...walk('src').filter((f) => !f.endsWith('.test.ts')),
    ],
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
    const found = staleness(part, state.parts[part.name]);
    if (found !== undefined) stale.push({ part, ...found });
  }
  if (stale.length === 0) {
    console.error(`build: dist/ is up to date (${PARTS.map((p) => p.name).join(', ')}); "npm run build" rebuilds it all.`);
    return 0;
  }
  for (const { part, reason, changed } of stale) {
    console.error(`build: ${part.name}: ${reason}`);
    await runPart(part, state, changed);
  }
  return 0;
}

/**
 * Why `part` must be built again (and, when only inputs changed, which), or undefined when its
 * record still matches the checkout.
 */
function staleness(part, record) {
  if (record === undefined) return { reason: 'not built yet' };
  if (record.incomplete) {
    // A failed or stopped build may have written some outputs already, including those of files
    // since put back as they were, which no comparison with the last complete build can name:
    // the part is built whole (`changed` undefined; the service without tsc's build info).
    return { reason: `its last build failed or was stopped`, changed: undefined };
  }
  const missing = record.outputs.filter((f) => !fs.existsSync(path.join(root, f)));
  if (missing.length > 0) return { reason: `${missing.length} output(s) missing: ${listed(missing)}` };
  const changed = changedInputs(part, record);
  if (changed.length > 0) return { reason: `${changed.length} input(s) changed: ${listed(changed)}`, changed };
  return undefined;
}

/** The inputs whose content differs from the record's (appeared and went away included). */
function changedInputs(part, record) {
  const now = hashAll(part.inputs(record.read));
  return [...new Set([...Object.keys(now), ...Object.keys(record.inputs)])].filter((f) => now[f] !== record.inputs[f]);
}

function listed(files) {
  return `${files.slice(0, 5).join(', ')}${files.length > 5 ? ', ...' : ''}`;
}

/**
 * Builds one part. While it builds, its record is marked incomplete (the next run builds the part
 * whole); only success replaces it.
 */
async function runPart(part, state, changed) {
  // Hashed before building: a file edited during the build makes the next run build again.
  const before = hashAll(part.inputs([]));
  const last = state.parts[part.name];
  if (last === undefined) delete state.parts[part.name];
  else state.parts[part.name] = { ...last, incomplete: true };
  writeState(state);
  const read = ((await part.build(changed)) ?? []).filter(isOwnFile);
  const inputs = { ...before, ...hashAll(read) };
  state.parts[part.name] = { inputs, read, outputs: part.outputs() };
  writeState(state);
}

/** At most this many changed sources are transpiled one by one; more (a pull, a rebase) go to tsc. */
const TRANSPILE_MAX = 20;
const SOURCE = /\.(ts|tsx|js|mts|cts|mjs|cjs)$/;

/**
 * The service: when only a few sources in src/ changed since a complete build, their tsc output
 * from `ts.transpileModule` (scripts/transpile.mjs; no type check, which `npm run typecheck` and
 * `npm run build` do); otherwise tsc, incremental (tsconfig.build.json keeps dist/.tsbuildinfo).
 * Then the outputs whose source is gone are deleted.
 */
async function buildService(changed) {
  const compiled = walk('src').filter((f) => SOURCE.test(f) && !/\.(test|d)\.ts$/.test(f));
  const fast =
    changed !== undefined &&
    changed.length <= TRANSPILE_MAX &&
    changed.every((f) => f.startsWith('src/') && (SOURCE.test(f) || !/\.json$/.test(f)) && !f.endsWith('.d.ts'));
  if (fast) {
    const { buildOptions, emitFor } = await import('./transpile.mjs');
    const options = buildOptions();
    const present = changed.filter((f) => compiled.includes(f));
    // tsc's build info describes the files as tsc last built them: a file transpiled here and
    // later put back as it was would look unchanged to tsc, which would keep this output. Dropped
    // before writing, so a build stopped midway cannot leave it either; the next tsc run emits all.
    if (present.length > 0) fs.rmSync(path.join(dist, '.tsbuildinfo'), { force: true });
    for (const file of present) {
      for (const [out, text] of emitFor(file, options)) {
        fs.mkdirSync(path.dirname(path.join(root, out)), { recursive: true });
        fs.writeFileSync(path.join(root, out), text);
      }
    }
    console.error(`build: service: transpiled ${present.length} file(s), types unchecked ("npm run typecheck" checks them)`);
  } else {
    // tsc trusts its build info: outputs deleted behind its back would not be emitted again.
    const expected = compiled.map(
      (f) =>
        'dist' +
        f
          .slice('src'.length)
          .replace(/\.tsx?$/, '.js')
          .replace(/\.mts$/, '.mjs')
          .replace(/\.cts$/, '.cjs'),
    );
    // Nor would it emit again what a failed or stopped build left behind (`changed` undefined).
    if (changed === undefined || expected.some((f) => !fs.existsSync(path.join(root, f)))) {
      fs.rmSync(path.join(dist, '.tsbuildinfo'), { force: true });
    }
    const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status ?? result.signal}); dist/ is not up to date.`);
  }
  const removed = pruneOrphans();
  if (removed.length > 0) console.error(`build: removed ${removed.length} file(s) of deleted sources: ${listed(removed)}`);
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

// Last, so that every constant above is initialised.
const { values } = parseArgs({ options: { changed: { type: 'boolean', default: false } }, strict: true });
try {
  process.exitCode = await (values.changed ? buildChanged() : buildAll());
} catch (err) {
  console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

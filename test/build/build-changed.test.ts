/**
 * `scripts/build.mjs --changed` (what npm start and npm test run) on a copy of this checkout and
 * its built dist/: an unchanged copy is up to date; an edited file is rebuilt alone; a deleted
 * source takes its dist files with it; a failed build is never taken for fresh; a missing output
 * is built again. Needs a built dist/ (npm test builds it first).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
let copy: string;

/** Runs the copy's build with --changed; resolves with its exit code and what it printed. */
async function buildChanged(): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['scripts/build.mjs', '--changed'], { cwd: copy });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const exists = (f: string) =>
  fs.access(path.join(copy, f)).then(
    () => true,
    () => false,
  );
const parts = async () =>
  JSON.parse(await fs.readFile(path.join(copy, 'dist/.build-state.json'), 'utf8')).parts as Record<string, { incomplete?: boolean }>;

beforeAll(async () => {
  copy = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-build-'));
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'src', 'web', 'dist']) {
    await fs.cp(path.join(ROOT, f), path.join(copy, f), { recursive: true, preserveTimestamps: true });
  }
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  // A checkout whose dist/ was not up to date settles here (with tsc, slowly); then it is.
  expect((await buildChanged()).code).toBe(0);
}, 180_000);
afterAll(() => fs.rm(copy, { recursive: true, force: true }));

describe('scripts/build.mjs --changed', () => {
  it('builds nothing when nothing changed', async () => {
    expect(await buildChanged()).toEqual({ code: 0, out: expect.stringContaining('dist/ is up to date') });
  });

  it('rebuilds an edited file, adds a new one and deletes the output of a removed one', async () => {
    await fs.appendFile(path.join(copy, 'src/config/version.ts'), '\nexport const EDITED = 42;\n');
    await fs.writeFile(path.join(copy, 'src/config/added.ts'), 'export const added: string = "yes";\n');
    const first = await buildChanged();
    expect(first.code).toBe(0);
    expect(first.out).toContain('service: 2 input(s) changed');
    expect(await fs.readFile(path.join(copy, 'dist/config/version.js'), 'utf8')).toContain('export const EDITED = 42;');
    expect(await fs.readFile(path.join(copy, 'dist/config/added.js'), 'utf8')).toContain('export const added = "yes";');

    await fs.rm(path.join(copy, 'src/config/added.ts'));
    const second = await buildChanged();
    expect(second.out).toContain('removed 2 file(s) of deleted sources');
    expect(await exists('dist/config/added.js')).toBe(false);
    expect(await exists('dist/config/added.js.map')).toBe(false);
    expect((await buildChanged()).out).toContain('up to date');
  }, 120_000);

  it('fails on a broken file, stays stale until it is fixed, and then builds it', async () => {
    const file = path.join(copy, 'src/config/version.ts');
    const good = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, `${good}\nexport const = ;\n`);
    const failed = await buildChanged();
    expect(failed.code).toBe(1);
    expect((await parts()).service?.incomplete).toBe(true);
    expect((await buildChanged()).code).toBe(1);

    await fs.writeFile(file, `${good}\nexport const FIXED = 1;\n`);
    const fixed = await buildChanged();
    expect(fixed.code).toBe(0);
    expect((await parts()).service?.incomplete).toBeUndefined();
    expect(await fs.readFile(path.join(copy, 'dist/config/version.js'), 'utf8')).toContain('export const FIXED = 1;');
  }, 400_000);

  it('does not keep a transpiled edit once the file is put back and tsc builds (a branch switched back and forth)', async () => {
    const file = path.join(copy, 'src/config/version.ts');
    const good = await fs.readFile(file, 'utf8');
    const config = path.join(copy, 'tsconfig.build.json');
    // A tsc build first, so tsc's build info describes the sources as they are now.
    await fs.writeFile(config, (await fs.readFile(config, 'utf8')) + '\n');
    expect((await buildChanged()).code).toBe(0);
    await fs.writeFile(file, `${good}\nexport const SWITCHED = 'other branch';\n`);
    expect((await buildChanged()).out).toContain('transpiled 1 file(s)');
    expect(await fs.readFile(path.join(copy, 'dist/config/version.js'), 'utf8')).toContain('SWITCHED');

    // Back as it was, together with a change that sends the service to tsc.
    await fs.writeFile(file, good);
    await fs.writeFile(config, (await fs.readFile(config, 'utf8')) + '\n');
    const back = await buildChanged();
    expect(back.code).toBe(0);
    expect(back.out).not.toContain('transpiled');
    expect(await fs.readFile(path.join(copy, 'dist/config/version.js'), 'utf8')).not.toContain('SWITCHED');
  }, 300_000);

  it('does not keep what a failed build wrote of a file since put back as it was', async () => {
    const marked = path.join(copy, 'src/config/node-version.ts');
    const broken = path.join(copy, 'src/config/version.ts');
    const [markedGood, brokenGood] = await Promise.all([fs.readFile(marked, 'utf8'), fs.readFile(broken, 'utf8')]);
    await fs.writeFile(marked, `${markedGood}\nexport const HALF_BUILT = 1;\n`);
    await fs.writeFile(broken, `${brokenGood}\nexport const = ;\n`);
    expect((await buildChanged()).code).toBe(1);

    // One file put back, the other mended: only the mended one differs from the last good build.
    await fs.writeFile(marked, markedGood);
    await fs.writeFile(broken, `${brokenGood}\nexport const MENDED = 1;\n`);
    expect((await buildChanged()).code).toBe(0);
    expect(await fs.readFile(path.join(copy, 'dist/config/version.js'), 'utf8')).toContain('MENDED');
    expect(await fs.readFile(path.join(copy, 'dist/config/node-version.js'), 'utf8')).not.toContain('HALF_BUILT');
    expect((await buildChanged()).out).toContain('up to date');
  }, 400_000);

  it('builds again an output that was deleted', async () => {
    await fs.rm(path.join(copy, 'dist/lambda/index.mjs'));
    const result = await buildChanged();
    expect(result.out).toContain('lambda: 1 output(s) missing: dist/lambda/index.mjs');
    expect(await exists('dist/lambda/index.mjs')).toBe(true);
  }, 180_000);
});

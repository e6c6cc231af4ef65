/**
 * `scripts/build.mjs --changed` transpiles a few changed files alone (scripts/transpile.mjs)
 * instead of running tsc: that is only right while the output is tsc's, byte for byte. Compared
 * here with the dist/ tsc wrote (npm install and npm run build run tsc on everything).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOptions, emitFor } from '../../scripts/transpile.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|cjs|mjs|js)$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

describe('scripts/transpile.mjs', () => {
  it("emits tsc's output for src/ files, JavaScript and source map alike", () => {
    const options = buildOptions();
    const all = sources('src');
    // Every CommonJS file and a spread of the rest (every fifth) keep the test quick.
    const picked = all.filter((f, i) => /\.c[jt]s$/.test(f) || i % 5 === 0);
    expect(picked.length).toBeGreaterThan(50);
    for (const file of picked) {
      for (const [out, text] of emitFor(file, options)) {
        expect(text, out).toBe(fs.readFileSync(path.join(ROOT, out), 'utf8'));
      }
    }
  }, 120_000);
});

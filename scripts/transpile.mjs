/**
 * tsc's emit for single files, without its type check: `ts.transpileModule` with the options of
 * tsconfig.build.json. The sources are `isolatedModules` (each file compiles on its own), so the
 * output is tsc's, byte for byte (test/build/transpile.test.ts holds it to dist/), in milliseconds
 * instead of tsc's ~20 s of parsing every dependency's types. `scripts/build.mjs --changed` uses
 * it for a few changed files in src/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** tsconfig.build.json's compiler options, as tsc reads them. */
export function buildOptions() {
  const host = {
    ...ts.sys,
    /** @param {ts.Diagnostic} d */
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.build.json'), {}, host);
  if (parsed === undefined) throw new Error('tsconfig.build.json could not be read.');
  return parsed.options;
}

/**
 * The output files tsc would write for `file` (relative to the checkout, under src/): `[path, text]`
 * pairs for the JavaScript and its source map. Throws on a syntax error.
 * @param {string} file
 * @param {ts.CompilerOptions} options
 * @returns {[string, string][]}
 */
export function emitFor(file, options) {
  // NodeNext decides a file's module format from its extension and package.json's "type" ("module"
  // here); transpileModule cannot look, so it is told.
  const commonjs = /\.c[jt]s$/.test(file);
  const result = ts.transpileModule(fs.readFileSync(path.join(root, file), 'utf8'), {
    compilerOptions: { ...options, module: commonjs ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext },
    fileName: path.join(root, file),
    reportDiagnostics: true,
  });
  // Only the file's own (syntax) errors: the option diagnostics are about the module override above.
  const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error && d.file !== undefined);
  if (errors.length > 0) {
    throw new Error(`${file}: ${errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
  }
  const out = path
    .join('dist', path.relative('src', file))
    .replace(/\.tsx?$/, '.js')
    .replace(/\.mts$/, '.mjs')
    .replace(/\.cts$/, '.cjs');
  /** @type {[string, string][]} */
  const outputs = [[out, result.outputText]];
  if (result.sourceMapText !== undefined) outputs.push([`${out}.map`, result.sourceMapText]);
  return outputs;
}

#!/usr/bin/env node
/**
 * `npm start`: `cca serve` with its flags, also those npm took for settings of its own
 * (`npm start --port 9000`; see src/cli/npm-start.ts). prestart has brought dist/ up to date.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/', import.meta.url);
if (!existsSync(fileURLToPath(new URL('npm-start.js', dist)))) {
  console.error('npm start: dist/ is missing; run "npm run build" (npm start builds it unless scripts are off).');
  process.exit(1);
}
const { npmStartArgs } = await import(new URL('npm-start.js', dist).href);
const { SERVICE_COMMANDS } = await import(new URL('commands/service.js', dist).href);
const serve = SERVICE_COMMANDS.find((c) => c.name === 'serve');
const result = npmStartArgs(process.argv.slice(2), process.env, serve.options);
if ('error' in result) {
  console.error(`npm start: ${result.error}`);
  process.exit(2);
}
for (const note of result.notes) console.error(`npm start: ${note}`);
// bin/cca reads its arguments from process.argv, as if it had been started itself.
const cca = new URL('../bin/cca', import.meta.url);
process.argv = [process.argv[0], fileURLToPath(cca), 'serve', ...result.args];
await import(cca.href);

// `npm install` in a checkout builds dist/ so ./bin/cca works at once. A production install
// (npm ci --omit=dev, as in the container) has no TypeScript and gets dist/ from the build stage.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  process.exit(0);
}
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });

/** The checkout `cca` runs from: package.json, dist/, node_modules/.bin/cdk and the Dockerfile. */
import { fileURLToPath } from 'node:url';

/** Three levels up from this file: `src/cli/aws/` in tests, `dist/cli/aws/` when built. */
export function defaultRepoRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
}

/**
 * Runs once per `vitest run`, in the main process: the Node.js warning the service prints at
 * start, shown here once instead of the AWS SDK's paragraph in every worker and every spawned `cca`
 * (vitest.config.ts silences that one).
 */
import { nodeVersionWarning } from '../../src/config/node-version.js';

/** Prints the Node.js warning, if any, before the first test file runs. */
export default function setup(): void {
  const note = nodeVersionWarning(process.version);
  if (note !== undefined) console.warn(`${note} (The AWS SDK's own warning is silenced in the tests.)`);
}

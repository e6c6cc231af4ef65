/**
 * `cca keys` run in-process on a data dir, with its output captured: the harness of the key CLI tests.
 */
import { keysCommand } from '../../src/cli/entries.js';
import type { CliIo } from '../../src/cli/io.js';

/**
 * Runs `cca keys ARGS` on `dataDir` at the instant `now`; returns its exit code and output.
 * @example const { code, stdout } = await runKeys(dir, ['list'], NOW);
 */
export async function runKeys(
  dataDir: string,
  args: string[],
  now: Date,
  env: NodeJS.ProcessEnv = { CCA_DATA_DIR: dataDir },
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await keysCommand(args, env, io, { now: () => now, cwd: dataDir });
  return { code, stdout, stderr };
}

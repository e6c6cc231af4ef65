/**
 * Each command called with its own raw arguments, through the same commander program as `cca`
 * (parsing, help, errors): for tests and callers that know which command they want. Kept apart
 * from the command modules, which the program loads, so that no module imports its own loader.
 */
import type { CommandDeps } from './context.js';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

/**
 * A command of the table as a function of its arguments; returns the exit status.
 * @example const code = await commandEntry('keys')(['list'], process.env, processIo);
 */
export function commandEntry(name: string) {
  return (args: string[], env: NodeJS.ProcessEnv, io: CliIo, deps: CommandDeps = {}): Promise<number> =>
    runCli([...name.split(' '), ...args], { ...deps, env, io });
}

/** `cca api`, e.g. `process.exitCode = await apiCommand(['Create hello.py'], process.env, processIo);`. */
export const apiCommand = commandEntry('api');

/** `cca api-key`, e.g. `process.exitCode = await apiKeyCommand(['--save'], process.env, processIo);`. */
export const apiKeyCommand = commandEntry('api-key');

/** `cca cancel`, e.g. `process.exitCode = await cancelCommand(['sess_1'], process.env, processIo);`. */
export const cancelCommand = commandEntry('cancel');

/** `cca deploy-api`, e.g. `process.exitCode = await deployApiCommand([], process.env, processIo);`. */
export const deployApiCommand = commandEntry('deploy-api');

/** `cca approve`: 0 answered, 1 no such request, 2 usage. */
export const approveCommand = commandEntry('approve');

/** `cca deploy`, e.g. `process.exitCode = await deployCommand(['--api'], process.env, processIo);`. */
export const deployCommand = commandEntry('deploy');

/** `cca destroy`, e.g. `process.exitCode = await destroyCommand(['--yes'], process.env, processIo);`. */
export const destroyCommand = commandEntry('destroy');

/** `cca download`, e.g. `process.exitCode = await downloadCommand(['--out', 'downloads'], process.env, processIo);`. */
export const downloadCommand = commandEntry('download');

/** `cca info`, e.g. `process.exitCode = await infoCommand(['--json'], process.env, processIo);`. */
export const infoCommand = commandEntry('info');

/** `cca invoke` (also with --runtime / --runtime-arn), e.g. `process.exitCode = await invokeCommand(['Create hello.py'], process.env, processIo);`. */
export const invokeCommand = commandEntry('invoke');

/** `cca keys create | list | show | update | revoke`: 0 done, 1 no such key, 2 usage or invalid value, e.g. `await keysCommand(['create', '--name', 'ci'], process.env, processIo)`. */
export const keysCommand = commandEntry('keys');

/** `cca logs`, e.g. `process.exitCode = await logsCommand(['--follow'], process.env, processIo);`. */
export const logsCommand = commandEntry('logs');

/** `cca session`, e.g. `process.exitCode = await sessionCommand(['sess_1', '--watch'], process.env, processIo);`. */
export const sessionCommand = commandEntry('session');

/** `cca webhooks list | verify`, e.g. `process.exitCode = await webhooksCommand(['list', 'sess_1'], process.env, processIo);`. */
export const webhooksCommand = commandEntry('webhooks');

/** `cca sessions`, e.g. `process.exitCode = await sessionsCommand(['--all'], process.env, processIo);`. */
export const sessionsCommand = commandEntry('sessions');

/** `cca usage`, e.g. `process.exitCode = await usageCommand(['--days', '7'], process.env, processIo);`. */
export const usageCommand = commandEntry('usage');

/** `cca synth`, e.g. `process.exitCode = await synthCommand(['--api', '--out', 'cdk.out'], process.env, processIo);`. */
export const synthCommand = commandEntry('synth');

/**
 * Before the run, after the clone: the objects of `input_s3_prefix` are copied into the workspace
 * (outside the sandbox, by the service), with `workspace.preparing` events. They become part of
 * the invocation's starting point, so its `changes` never list them. A copy that fails ends the
 * invocation as a failed clone does (`workspace_error`), without running anything.
 */
import type { ArtifactStore } from '../artifacts/index.js';
import { markWorkspaceChanged } from '../codebase/index.js';
import type { Config } from '../config/index.js';
import type { SessionEvents } from '../events/index.js';
import { diskUsage, type LimitsSupport } from '../limits/index.js';
import type { Logger } from '../logging/index.js';
import { outcomeWithoutRun, type RunOutcome } from '../runner/index.js';
import { copyS3Prefix, uploadLimits } from '../uploads/index.js';
import type { SessionDirs } from '../workspace/index.js';
import type { ActiveRun } from './active-run.js';

/**
 * Copies the run's inputs when it has some; resolves with the outcome that ends the invocation
 * when they could not be copied, undefined otherwise.
 * @example const failed = await copyInputs(deps, run, dirs, timeoutMs, log);
 */
export async function copyInputs(
  deps: { config: Config; events: SessionEvents; store: ArtifactStore; limits?: LimitsSupport | undefined },
  run: ActiveRun,
  dirs: SessionDirs,
  timeoutMs: number,
  log: Logger,
): Promise<RunOutcome | undefined> {
  const inputs = run.inputs;
  if (inputs === undefined) return undefined;
  const { sessionId, invocationId } = run;
  const { config } = deps;
  deps.events.emit(sessionId, invocationId, { type: 'workspace.preparing', data: { phase: 'copying_inputs', source: inputs.shown } });
  const started = Date.now();
  // The copy counts in the run's timeout, and a cancel stops it.
  const signal = AbortSignal.any([run.controller.signal, AbortSignal.timeout(Math.max(1, timeoutMs))]);
  try {
    const readable = deps.store.readable;
    if (readable === undefined) throw new Error(`the ${deps.store.kind} artifact store cannot read objects`);
    const used = await diskUsage([dirs.workspace, dirs.home, dirs.tmp], config.limits.maxRunEntries);
    const limits = uploadLimits(config.upload, {}, { diskMb: run.resources.diskMb, usedBytes: used.bytes });
    // Before any file moves in (a copy that fails halfway leaves some): they are not the run's changes.
    await markWorkspaceChanged(dirs.git);
    const copied = await copyS3Prefix(readable, inputs.key, {
      sessionRoot: dirs.root,
      workspace: dirs.workspace,
      limits,
      owner: deps.limits?.user,
      signal,
    });
    deps.events.emit(sessionId, invocationId, {
      type: 'workspace.preparing',
      data: { phase: 'ready', source: inputs.shown, files: copied.files.length, bytes: copied.bytes },
    });
    log.info({ source: inputs.shown, files: copied.files.length, bytes: copied.bytes, ms: Date.now() - started }, 'inputs copied');
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.info({ err: message, source: inputs.shown }, 'the inputs could not be copied');
    if (run.controller.signal.aborted) return outcomeWithoutRun('cancelled', `Cancelled while copying ${inputs.shown}; nothing ran.`);
    const why = signal.aborted ? 'the timeout ran out' : message;
    return outcomeWithoutRun('workspace_error', `The files of ${inputs.shown} could not be copied into the workspace: ${why}`);
  }
}

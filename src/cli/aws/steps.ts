/** The progress of a multi-step command: one numbered line per step, indented detail lines under it. */
import type { CliIo } from '../io.js';

export interface Steps {
  /** Starts the next step: "[2/6] Deploying ...". */
  start(title: string): void;
  /** A detail line under the current step. */
  detail(text: string): void;
  /** The number of the step in progress. */
  readonly current: number;
}

/** A step that failed, with what went wrong in words a person can act on. */
export class StepError extends Error {
  override name = 'StepError';
}

/**
 * @example const steps = createSteps(io, 6); steps.start('Checking prerequisites');
 */
export function createSteps(io: CliIo, total: number): Steps {
  let current = 0;
  return {
    start(title) {
      current++;
      io.stdout(`[${current}/${total}] ${title}\n`);
    },
    detail(text) {
      io.stdout(`      ${text}\n`);
    },
    get current() {
      return current;
    },
  };
}

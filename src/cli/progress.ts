/**
 * Live progress of a run: one line per thing worth knowing (tool calls, approvals, stored files)
 * and, on a terminal, a spinner line with the elapsed time that each printed line clears first.
 * The spinner stays these few lines rather than nanospinner or ora: those write to a stream of
 * their own (hiding the cursor, with their own escape sequences and timer), while this one must
 * interleave with the event lines, write through CliIo, and take its clock from the caller, which
 * is what the tests pin byte for byte.
 */
import type { SessionEvent } from '../schemas/events.js';
import { describeEvent } from './describe-event.js';
import { createEventLines } from './event-lines.js';
import type { CliIo } from './io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[K';

/** Takes the events of a run as they come and prints what a person watching needs. */
export interface Progress {
  event(event: SessionEvent): void;
  /** A line of the CLI's own (a reconnect, say). */
  note(text: string): void;
  /** Clears the spinner and stops its timer; call before printing the result. */
  stop(): void;
}

/** How the progress is shown. */
export interface ProgressOptions {
  /** Spinner and dimmed assistant text: only when stdout is a terminal. */
  tty: boolean;
  /** `--json`: stdout is for the result only; just approval requests go to stderr, since a run waits for them. */
  json: boolean;
  /** Milliseconds, for the elapsed time (default `performance.now`). */
  clock?: () => number;
  /** Spinner redraw period. */
  intervalMs?: number;
}

/**
 * Starts showing progress (the spinner starts at once on a terminal).
 * @example const progress = createProgress(io, { tty: io.isTTY === true, json: false });
 */
export function createProgress(io: CliIo, opts: ProgressOptions): Progress {
  if (opts.json) {
    const tools = new Map<string, string>();
    return {
      event: (e) => {
        if (e.type === 'permission.request') io.stderr(`${describeEvent(e, tools, false)}\n`);
      },
      note: (text) => io.stderr(`${text}\n`),
      stop: () => undefined,
    };
  }
  const feed = createEventLines(opts.tty);
  if (!opts.tty) {
    return {
      event: (e) => {
        for (const line of feed.push(e)) io.stdout(`${line}\n`);
      },
      note: (text) => io.stdout(`${text}\n`),
      stop: () => undefined,
    };
  }

  const clock = opts.clock ?? (() => performance.now());
  const started = clock();
  let frame = 0;
  let label = 'starting';
  let drawn = false;
  const draw = () => {
    const elapsed = ((clock() - started) / 1000).toFixed(1);
    io.stdout(`${CLEAR_LINE}${FRAMES[frame % FRAMES.length]} ${label} ${elapsed} s`);
    frame++;
    drawn = true;
  };
  const print = (line: string) => {
    io.stdout(`${CLEAR_LINE}${line}\n`);
    draw();
  };
  const timer = setInterval(draw, opts.intervalMs ?? 100);
  timer.unref();
  draw();
  return {
    event: (e) => {
      if (e.type === 'invocation.queued' && e.data.waiting !== undefined) label = 'queued';
      if (e.type === 'invocation.started') label = 'running';
      for (const line of feed.push(e)) print(line);
      if (e.type === 'file.stored') label = `storing files (${feed.stored})`;
    },
    note: print,
    stop: () => {
      clearInterval(timer);
      if (drawn) io.stdout(CLEAR_LINE);
      drawn = false;
    },
  };
}

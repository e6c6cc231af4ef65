/**
 * Live progress of a run: one line per thing worth knowing (tool calls, approvals, stored files)
 * and, on a terminal, a spinner line with the elapsed time that each printed line clears first.
 * The spinner stays these few lines rather than nanospinner or ora: those write to a stream of
 * their own (hiding the cursor, with their own escape sequences and timer), while this one must
 * interleave with the event lines, write through CliIo, and take its clock from the caller, which
 * is what the tests pin byte for byte.
 */
import type { SessionEvent } from '../schemas/events.js';
import { formatBytes } from './api-report.js';
import type { CliIo } from './io.js';
import { oneLine } from './table.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[K';
const LINE_WIDTH = 120;

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
  const tools = new Map<string, string>();
  if (opts.json) {
    return {
      event: (e) => {
        if (e.type === 'permission.request') io.stderr(`${describeEvent(e, tools, false)}\n`);
      },
      note: (text) => io.stderr(`${text}\n`),
      stop: () => undefined,
    };
  }
  if (!opts.tty) {
    return {
      event: (e) => {
        const line = describeEvent(e, tools, false);
        if (line !== undefined) io.stdout(`${line}\n`);
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
      if (e.type === 'invocation.queued') label = 'queued';
      if (e.type === 'invocation.started') label = 'running';
      const line = describeEvent(e, tools, true);
      if (line !== undefined) print(line);
    },
    note: print,
    stop: () => {
      clearInterval(timer);
      if (drawn) io.stdout(CLEAR_LINE);
      drawn = false;
    },
  };
}

/**
 * The line (or lines) an event prints, or undefined for events shown otherwise (usage, the result).
 * `tools` remembers tool names by tool use id, so a failed result can name its tool.
 * @example describeEvent(toolCall, new Map(), false) // '→ Bash  npm test'
 */
export function describeEvent(e: SessionEvent, tools: Map<string, string>, tty: boolean): string | undefined {
  switch (e.type) {
    case 'invocation.queued':
      return '· queued: waiting for a run slot';
    case 'workspace.preparing': {
      // Percent updates come every half second: the phases are enough for a log.
      const what = e.data.repository ?? e.data.source ?? 'the inputs';
      if (e.data.phase === 'fetching') return `· cloning ${what}`;
      if (e.data.phase === 'copying_inputs') return `· copying ${what}`;
      if (e.data.phase === 'checking_out') return '· checking out the files';
      if (e.data.phase === 'ready') return '· workspace ready';
      return undefined;
    }
    case 'invocation.started':
      return `· ${e.data.resumed ? 'resumed' : 'started'} session ${e.session_id}`;
    case 'assistant.text': {
      const text = shorten(e.data.text);
      if (text === '') return undefined;
      return tty ? `\x1b[2m${text}\x1b[22m` : text;
    }
    case 'tool.call':
      tools.set(e.data.tool_use_id, e.data.tool);
      return `→ ${e.data.tool}  ${shorten(e.data.summary)}`.trimEnd();
    case 'tool.result':
      if (!e.data.is_error) return undefined;
      return `✘ ${tools.get(e.data.tool_use_id) ?? 'tool'} failed: ${shorten(e.data.content)}`;
    case 'permission.request':
      return (
        `? ${e.data.tool} needs approval: cca approve ${e.session_id} ${e.data.request_id} [--deny]\n` +
        `    ${shorten(e.data.input)}  (until ${e.data.expires_at})`
      );
    case 'permission.decision': {
      const how = { api: 'answered', timeout: 'no answer in time', policy: 'by the permission mode', cancel: 'the run was cancelled' }[
        e.data.by
      ];
      const verdict = e.data.decision === 'allow' ? `✔ ${e.data.tool} allowed` : `✘ ${e.data.tool} denied`;
      return `${verdict} (${how})${e.data.message ? `: ${shorten(e.data.message)}` : ''}`;
    }
    case 'egress.denied':
      return `✘ network: ${e.data.host}:${e.data.port} refused (not in allowed_domains)`;
    case 'file.stored':
      return `✔ stored ${e.data.file_name} (${formatBytes(e.data.size)})  ${e.data.download_url}`;
    case 'usage':
    case 'invocation.completed':
      return undefined;
  }
}

function shorten(text: string): string {
  return oneLine(text, LINE_WIDTH);
}

/**
 * Which lines a run's events print, in order: what `describeEvent` says of each, except that the
 * agent's latest text waits for the next event (its last text is the result, printed once at the
 * end) and stored files past the first few are counted rather than listed (a run may store
 * thousands; the result sums them up).
 */
import type { SessionEvent } from '../schemas/events.js';
import { FILES_SHOWN } from './api-report.js';
import { describeEvent } from './describe-event.js';

/** Turns events into lines; `stored` counts the files stored so far. */
export interface EventLines {
  push(event: SessionEvent): string[];
  readonly stored: number;
}

/**
 * A fresh feed for one run (`tty`: assistant text dimmed).
 * @example const feed = createEventLines(false); for (const line of feed.push(event)) io.stdout(`${line}\n`);
 */
export function createEventLines(tty: boolean): EventLines {
  const tools = new Map<string, string>();
  let held: SessionEvent | undefined;
  let stored = 0;
  const describe = (e: SessionEvent): string[] => {
    const line = describeEvent(e, tools, tty);
    return line === undefined ? [] : [line];
  };
  return {
    get stored() {
      return stored;
    },
    push(e) {
      // Usage and stored files come between the last text and the end: they do not release it.
      if (e.type === 'usage') return [];
      if (e.type === 'file.stored') {
        stored++;
        if (stored <= FILES_SHOWN) return describe(e);
        return stored === FILES_SHOWN + 1 ? ['· more files are being stored; the result counts them all'] : [];
      }
      const lines: string[] = [];
      if (held !== undefined && held.type === 'assistant.text') {
        const result = e.type === 'invocation.completed' ? e.data.output?.output.result : undefined;
        if (result === undefined || result.trim() !== held.data.text.trim()) lines.push(...describe(held));
        held = undefined;
      }
      if (e.type === 'assistant.text') held = e;
      else lines.push(...describe(e));
      return lines;
    },
  };
}

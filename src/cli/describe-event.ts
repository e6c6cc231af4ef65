/**
 * The line an event of a run prints while it is watched (`cca invoke`, `cca session --watch`).
 */
import type { SessionEvent } from '../schemas/events.js';
import { formatBytes } from './api-report.js';
import { oneLine } from './table.js';

const LINE_WIDTH = 120;

/**
 * The line (or lines) an event prints, or undefined for events shown otherwise (usage, the result).
 * `tools` remembers tool names by tool use id, so a failed result can name its tool.
 * @example describeEvent(toolCall, new Map(), false) // '→ Bash  npm test'
 */
export function describeEvent(e: SessionEvent, tools: Map<string, string>, tty: boolean): string | undefined {
  switch (e.type) {
    case 'invocation.queued':
      // Every run is queued first; only one that must wait for a slot is worth a line.
      if (e.data.waiting === 'service_busy') return '· queued: every run slot of the service is busy; it starts when one frees up';
      if (e.data.waiting === 'key_max_concurrent')
        return '· queued: this API key already runs its max_concurrent runs; it starts when one of them ends';
      return undefined;
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

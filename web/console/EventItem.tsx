/** One event of the run, by type; a type this console does not know is shown as its JSON. */
import { formatBytes, formatTime } from './format.js';
import { PermissionRequest } from './PermissionRequest.js';
import { ResultCard } from './ResultCard.js';
import { safeHref } from './safe-href.js';
import { ToolCall } from './ToolCall.js';
import type { Output, RunEvent } from './types.js';

interface Props {
  event: RunEvent;
  /** The tool.result of a tool.call, by tool_use_id. */
  results: Map<string, RunEvent>;
  /** Permission decisions by request_id. */
  decisions: Map<string, RunEvent>;
  onAnswer(requestId: string, decision: 'allow' | 'deny'): Promise<void>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/** Renders `event`. */
export function EventItem({ event, results, decisions, onAnswer }: Props) {
  const d = event.data ?? {};
  switch (event.type) {
    case 'invocation.queued':
      return (
        <li class="ev ev-queued">
          <span class="tag">task</span> <span class="prompt">{str(d.prompt)}</span>
        </li>
      );
    case 'invocation.started':
      return <li class="ev ev-muted">{d.resumed ? 'Claude Code resumed the conversation' : 'Claude Code started'}</li>;
    case 'workspace.preparing':
      return (
        <li class="ev ev-muted">
          Preparing the workspace: {str(d.phase).replace('_', ' ')}
          {typeof d.percent === 'number' ? ` ${d.percent}%` : ''}
          {d.repository ? ` (${str(d.repository)})` : ''}
        </li>
      );
    case 'assistant.text':
      return <li class="ev ev-text">{str(d.text)}</li>;
    case 'tool.call':
      return <ToolCall event={event} result={results.get(str(d.tool_use_id))} />;
    case 'tool.result':
      return null; // shown with its call
    case 'permission.request':
      return <PermissionRequest event={event} decision={decisions.get(str(d.request_id))} onAnswer={onAnswer} />;
    case 'permission.decision':
      return null; // shown with its request
    case 'usage':
      return null; // the result shows the totals
    case 'egress.denied':
      return (
        <li class="ev ev-warn">
          Blocked a connection to {str(d.host)}:{str(d.port)} (not in the run's allowed domains)
        </li>
      );
    case 'file.stored': {
      // The link comes from the event: only an http(s) one is followed, else the name shows as text.
      const href = safeHref(d.download_url, location.href);
      return (
        <li class="ev ev-file">
          <span class="tag">file</span>{' '}
          {href ? (
            <a href={href} download>
              {str(d.file_name)}
            </a>
          ) : (
            str(d.file_name)
          )}{' '}
          <span class="muted">{formatBytes(Number(d.size) || 0)}</span>
        </li>
      );
    }
    case 'invocation.completed':
      // `output` has the synchronous answer's shape: `{ output: {...} }`.
      return <ResultCard status={str(d.status)} output={(d.output as { output?: Output } | null)?.output} />;
    default:
      return (
        <li class="ev ev-unknown">
          <span class="tag">{event.type}</span> <span class="muted">{formatTime(event.at)}</span>
          <pre>{JSON.stringify(d, null, 2)}</pre>
        </li>
      );
  }
}

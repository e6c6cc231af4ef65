/** A tool call with its summary; its input and result fold out. */
import type { RunEvent } from './types.js';

/** Renders a `tool.call` event and, once it came, its `tool.result`. */
export function ToolCall({ event, result }: { event: RunEvent; result: RunEvent | undefined }) {
  const d = event.data;
  const failed = result?.data.is_error === true;
  return (
    <li class={`ev ev-tool${failed ? ' failed' : ''}`}>
      <details>
        <summary>
          <span class="tag">{String(d.tool)}</span> <span class="summary">{String(d.summary ?? '')}</span>
          <span class="state">{result === undefined ? ' …' : failed ? ' ✗ error' : ' ✓'}</span>
        </summary>
        <h4>Input</h4>
        <pre>{String(d.input ?? '')}</pre>
        {result && (
          <>
            <h4>{failed ? 'Error' : 'Result'}</h4>
            <pre>{String(result.data.content ?? '')}</pre>
          </>
        )}
      </details>
    </li>
  );
}

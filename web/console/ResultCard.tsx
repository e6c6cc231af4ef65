/** How an invocation ended: its answer, cost, tokens, turns and duration. */
import { formatDuration, formatUsd } from './format.js';
import type { Output } from './types.js';

/** Renders an `invocation.completed` event. */
export function ResultCard({ status, output }: { status: string; output: Output | undefined }) {
  const ok = output?.success === true;
  const usage = output?.usage;
  return (
    <li class={`ev ev-result ${ok ? 'ok' : 'bad'}`}>
      <p class="status">
        <span class="tag">{status}</span>
      </p>
      {output && <p class="result-text">{output.result}</p>}
      {output && (
        <dl class="stats">
          <div>
            <dt>Cost</dt>
            <dd>{formatUsd(output.cost_usd)}</dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd>
              {usage?.input_tokens ?? 0} in / {usage?.output_tokens ?? 0} out
            </dd>
          </div>
          <div>
            <dt>Turns</dt>
            <dd>{output.metadata?.num_turns ?? '–'}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(output.metadata?.duration_ms)}</dd>
          </div>
          {output.model && (
            <div>
              <dt>Model</dt>
              <dd>{output.model}</dd>
            </div>
          )}
        </dl>
      )}
    </li>
  );
}

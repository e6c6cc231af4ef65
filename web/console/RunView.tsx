/** The session's events as they come (aria-live), grouped with their tool results and decisions. */
import { EventItem } from './EventItem.js';
import type { RunEvent } from './types.js';

interface Props {
  events: RunEvent[];
  running: boolean;
  onAnswer(requestId: string, decision: 'allow' | 'deny'): Promise<void>;
  onCancel(): Promise<void>;
}

/** The run stream. */
export function RunView({ events, running, onAnswer, onCancel }: Props) {
  const results = new Map<string, RunEvent>();
  const decisions = new Map<string, RunEvent>();
  for (const e of events) {
    if (e.type === 'tool.result') results.set(String(e.data.tool_use_id), e);
    if (e.type === 'permission.decision') decisions.set(String(e.data.request_id), e);
  }
  return (
    <section class="run" aria-labelledby="run-title">
      <div class="run-head">
        <h2 id="run-title">Run</h2>
        {running && <span class="live">● running</span>}
        {running && (
          <button type="button" class="danger" onClick={() => void onCancel()}>
            Cancel
          </button>
        )}
      </div>
      <ol class="events" aria-live="polite" aria-relevant="additions">
        {events.map((e) => (
          <EventItem key={e.id} event={e} results={results} decisions={decisions} onAnswer={onAnswer} />
        ))}
      </ol>
      {events.length === 0 && <p class="muted">{running ? 'Waiting for the first event…' : 'No events yet.'}</p>}
    </section>
  );
}

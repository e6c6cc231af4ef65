/** A tool use waiting for approval (manual mode), with Allow and Deny; once answered, the decision. */
import { useState } from 'preact/hooks';
import { formatTime } from './format.js';
import type { RunEvent } from './types.js';

interface Props {
  event: RunEvent;
  decision: RunEvent | undefined;
  onAnswer(requestId: string, decision: 'allow' | 'deny'): Promise<void>;
}

/** Renders a `permission.request` event. */
export function PermissionRequest({ event, decision, onAnswer }: Props) {
  const d = event.data;
  const [sent, setSent] = useState(false);
  const answer = (choice: 'allow' | 'deny') => {
    setSent(true);
    void onAnswer(String(d.request_id), choice).finally(() => setSent(false));
  };
  return (
    <li class={`ev ev-permission${decision ? '' : ' pending'}`}>
      <p>
        <span class="tag">approval</span> <strong>{String(d.tool)}</strong> wants to run:
      </p>
      <pre>{String(d.input ?? '')}</pre>
      {decision ? (
        <p class={`decision ${String(decision.data.decision)}`}>
          {decision.data.decision === 'allow' ? 'Allowed' : 'Denied'} ({String(decision.data.by)})
          {decision.data.message ? `: ${String(decision.data.message)}` : ''}
        </p>
      ) : (
        <div class="row">
          <button type="button" class="primary" disabled={sent} onClick={() => answer('allow')}>
            Allow
          </button>
          <button type="button" class="danger" disabled={sent} onClick={() => answer('deny')}>
            Deny
          </button>
          <span class="muted">Denied at {formatTime(String(d.expires_at))} if unanswered</span>
        </div>
      )}
    </li>
  );
}

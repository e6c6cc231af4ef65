/**
 * The control form of `POST /invocations` (http/control-request.ts): cancel the session's run or
 * answer one of its permission requests, answering exactly as the local routes do (202 with
 * CancelAccepted, 200 with PermissionAnswered; 404 for an unknown session or request, 409 when
 * nothing runs or the request was already answered), since the API Lambda maps those statuses back.
 */
import type { Context } from 'hono';
import { ValidationError } from '../errors/index.js';
import { parseControlRequest, SESSION_HEADER } from '../http/index.js';
import type { CancelAccepted, PermissionAnswered } from '../schemas/control.js';
import type { InvocationService } from './service.js';

/**
 * Acts on a control body for the session of the request's session header.
 * `owner` is the caller's key under `cca serve`, whose tenancy holds here as on the session routes;
 * the bare runtime has no caller.
 * @example if (isControlRequest(body)) return controlAnswer(c, body, service, c.get('caller')?.keyId);
 */
export function controlAnswer(c: Context, body: unknown, service: InvocationService, owner: string | undefined): Response {
  const { control } = parseControlRequest(body);
  const sessionId = c.req.header(SESSION_HEADER);
  if (!sessionId) {
    throw new ValidationError(`A control request acts on a session: name it in the ${SESSION_HEADER} header.`, {
      field: SESSION_HEADER,
    });
  }
  if (control.action === 'cancel') {
    const { invocationId } = service.cancel(sessionId, owner);
    return c.json({ session_id: sessionId, invocation_id: invocationId, status: 'cancelling' } satisfies CancelAccepted, 202);
  }
  service.answerPermission(sessionId, owner, control.request_id, control.decision, control.message);
  return c.json({ request_id: control.request_id, decision: control.decision } satisfies PermissionAnswered, 200);
}

/**
 * Control payloads on `POST /invocations`: how the API Lambda steers a run on AgentCore, which
 * forwards only `/invocations` to the container (and routes a session to the microVM that runs
 * it). The session is the one the AgentCore session header names. Kept apart from the invocation
 * request, whose schema stays strict: a body with `control` is this form or a 400.
 *
 *   {"control": {"action": "cancel"}}
 *   {"control": {"action": "permission", "request_id": "...", "decision": "allow" | "deny", "message"?: "..."}}
 */
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { PermissionAnswerSchema } from '../schemas/control.js';
import { issuesOf } from './issues.js';

const CancelControl = z.strictObject({ action: z.literal('cancel') });
const PermissionControl = PermissionAnswerSchema.extend({
  action: z.literal('permission'),
  request_id: z.string().min(1).max(200),
}).strict();

/** The body of a control request. */
export const ControlRequestSchema = z.strictObject({ control: z.discriminatedUnion('action', [CancelControl, PermissionControl]) }).meta({
  id: 'ControlRequest',
  description:
    "Steers the run of the session named by the session header (the API Lambda's cancel and permission answers on AWS): `cancel` answers as `POST /sessions/{session_id}/cancel`, `permission` as `POST /sessions/{session_id}/permissions/{request_id}`.",
});
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

const CONTROL_MESSAGE =
  'control must be {"action": "cancel"} or {"action": "permission", "request_id": "...", "decision": "allow" | "deny", "message"?: "..."}, and nothing else in the body.';

/** Whether a parsed body asks for control rather than a run (it has a top-level `control`). */
export function isControlRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'control' in body;
}

/**
 * Validates a control body; 400 naming what is wrong.
 * @example const { control } = parseControlRequest(JSON.parse(text));
 */
export function parseControlRequest(body: unknown): ControlRequest {
  const parsed = ControlRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new ValidationError(CONTROL_MESSAGE, { issues: issuesOf(parsed.error) });
}

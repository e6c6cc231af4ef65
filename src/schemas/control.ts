/**
 * The bodies of the routes that follow and steer a run without waiting for it: the 202 of an
 * async invocation, cancel, and the answer to a permission request (manual mode).
 */
import { z } from 'zod';

const sessionId = z.string().meta({ description: 'The session.' });
const invocationId = z.string().meta({ description: 'The invocation (a UUID).' });

/** The 202 of `POST /invoke` (and `/invocations` under `cca serve`) with `"async": true` or `Prefer: respond-async`. */
export const AsyncAcceptedSchema = z
  .object({
    session_id: sessionId,
    invocation_id: invocationId,
    status: z.literal('queued').meta({ description: 'Accepted; it starts as soon as a run slot is free.' }),
    status_url: z.string().meta({
      description: 'GET it (with the API key) for the status and, once the run ends, the result and files. Also in `Location`.',
      examples: ['https://agent.example.com/sessions/7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b'],
    }),
    events_url: z.string().meta({
      description: "The session's event stream (SSE), replayed from its first event; it ends after this run's last event.",
      examples: ['https://agent.example.com/sessions/7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b/events'],
    }),
  })
  .meta({ id: 'AsyncAccepted', description: 'An invocation accepted to run in the background, with where to follow it.' });
export type AsyncAccepted = z.infer<typeof AsyncAcceptedSchema>;

/** The 202 of `POST /sessions/{session_id}/cancel`. */
export const CancelAcceptedSchema = z
  .object({
    session_id: sessionId,
    invocation_id: invocationId.meta({ description: 'The invocation being stopped.' }),
    status: z.literal('cancelling').meta({
      description: 'Stopping: the files written so far are stored, then it ends `cancelled` (its `invocation.completed` event).',
    }),
  })
  .meta({ id: 'CancelAccepted', description: 'A queued or running invocation is being stopped.' });
export type CancelAccepted = z.infer<typeof CancelAcceptedSchema>;

/** The body of `POST /sessions/{session_id}/permissions/{request_id}`. */
export const PermissionAnswerSchema = z
  .object({
    decision: z.enum(['allow', 'deny']).meta({ description: 'Let the tool use run, or refuse it.' }),
    message: z
      .string()
      .max(2000)
      .meta({
        description: 'Why; recorded in the `permission.decision` event, and a denial passes it on to the agent.',
        examples: ['Do not touch the database.'],
      })
      .optional(),
  })
  .meta({ id: 'PermissionAnswer', description: 'The answer to a `permission.request` event.' });
export type PermissionAnswer = z.infer<typeof PermissionAnswerSchema>;

/** The 200 of `POST /sessions/{session_id}/permissions/{request_id}`. */
export const PermissionAnsweredSchema = z
  .object({
    request_id: z.string().meta({ description: 'The request answered.' }),
    decision: z.enum(['allow', 'deny']).meta({ description: 'The decision recorded; a `permission.decision` event follows.' }),
  })
  .meta({ id: 'PermissionAnswered', description: 'A permission request was answered.' });
export type PermissionAnswered = z.infer<typeof PermissionAnsweredSchema>;

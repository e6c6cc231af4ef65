/** zod's validation issues in the service's error details: the field each concerns, and its message. */
import type { z } from 'zod';

/** One problem of a request: where (`a.b`, or `(body)`) and what, in the schema's own words. */
export interface Issue {
  field: string;
  message: string;
}

/**
 * The issues of a failed parse, in order.
 * @example throw new ValidationError(issuesOf(err).map((i) => i.message).join(' '), { issues: issuesOf(err) });
 */
export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}

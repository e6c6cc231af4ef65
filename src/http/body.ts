/**
 * Request bodies of the HTTP contract: JSON whatever the Content-Type (curl -d sends form
 * encoding by default), with the same messages on every front (gateway, runtime, Lambda).
 */
import { PayloadTooLargeError, ValidationError } from '../errors/index.js';

/**
 * Parses a JSON body; 400 with how to fix it when it is empty or not JSON.
 * @example const body = parseJsonBody(await request.text());
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new ValidationError('The body is empty; send JSON such as {"prompt": "Create a hello world Python script"}.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError(`The body is not valid JSON (${(err as Error).message}); send e.g. {"prompt": "..."}.`);
  }
}

/** The 413 of a body over `maxBytes`, the same on every front. */
export function bodyTooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The body is larger than ${maxBytes} bytes; send a shorter prompt.`, { limit: maxBytes });
}

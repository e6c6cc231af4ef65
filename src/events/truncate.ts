/**
 * Cutting long text for events: tool inputs and results can be megabytes, an event stays small.
 */
import { EVENT_TEXT_LIMIT } from '../schemas/events.js';

/**
 * Keeps at most `limit` UTF-16 units of `text` and says how much was cut.
 * @example truncate('x'.repeat(5000)) // 2000 × 'x' + '… [truncated 3000 chars]'
 */
export function truncate(text: string, limit: number = EVENT_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  let cut = Math.max(0, limit);
  // Never split a surrogate pair: half an emoji becomes U+FFFD once encoded as UTF-8.
  if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
  return `${text.slice(0, cut)}… [truncated ${text.length - cut} chars]`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * The request a "Try it" form describes: the path with its parameters filled in, the query, the
 * headers (the API key among them, never in the URL) and the body: JSON text or files.
 */

/** What to send, or why not. */
export type TryRequest = { ok: true; url: string; init: RequestInit } | { ok: false; problem: string };

type Input = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/**
 * Reads `form` (inside its `.try` block, which carries the method, path and whether the route wants a key).
 * @example const req = buildRequest(block, form, loadApiKey()); if (req.ok) fetch(req.url, req.init);
 */
export function buildRequest(block: HTMLElement, form: HTMLFormElement, apiKey: string | undefined): TryRequest {
  const method = block.dataset.method ?? 'GET';
  let path = block.dataset.path ?? '/';
  const query = new URLSearchParams();
  const headers = new Headers();
  let body: BodyInit | undefined;
  for (const input of form.querySelectorAll<Input>('[data-in]')) {
    const value = input.value;
    const where = input.dataset.in;
    if (where === 'files') {
      const files = [...((input as HTMLInputElement).files ?? [])];
      const type = form.querySelector<Input>('[name="content_type"]')?.value ?? 'multipart/form-data';
      if (files.length === 0) return { ok: false, problem: 'Choose a file to send.' };
      if (type === 'multipart/form-data') {
        const parts = new FormData();
        for (const file of files) parts.append('file', file, file.name);
        body = parts; // the browser writes the Content-Type with its boundary
      } else {
        if (files.length > 1) return { ok: false, problem: `${type} takes one archive: choose a single file.` };
        headers.set('content-type', type);
        body = files[0];
      }
      continue;
    }
    if (value.trim() === '') {
      if (input.required) return { ok: false, problem: `Fill in ${input.name} (${where}).` };
      continue;
    }
    if (where === 'path') {
      const filled = pathValue(value.trim());
      if (filled === undefined) return { ok: false, problem: `${input.name} cannot be "." or "..", or hold such a segment.` };
      path = path.replace(`{${input.name}}`, filled);
    } else if (where === 'query') query.set(input.name, value.trim());
    else if (where === 'header') headers.set(input.name, value.trim());
    else if (where === 'accept') headers.set('accept', value);
    else if (where === 'body') {
      headers.set('content-type', input.dataset.type ?? 'application/json');
      body = value;
    }
  }
  if (block.dataset.auth === 'key' && apiKey !== undefined) headers.set('x-api-key', apiKey);
  const search = query.toString();
  const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
  if (body !== undefined) init.body = body;
  return { ok: true, url: `${path}${search === '' ? '' : `?${search}`}`, init };
}

/**
 * A path parameter encoded segment by segment (a file key spans folders), refusing the dot
 * segments the URL parser would resolve into another route.
 */
function pathValue(value: string): string | undefined {
  const segments = value.split('/');
  // `%` is encoded too, so a plain `.` or `..` is the only dot segment left to refuse.
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  return segments.map(encodeURIComponent).join('/');
}

/**
 * Reading a server's whole tool list, bounded: a server decides how many pages it sends and how
 * fast, so the service stops after a number of pages, at a cursor it has seen before, past a
 * number of tools, or at a deadline, and keeps what it read. Admission and runs both list this way.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** Most pages of one tool list read. */
export const MAX_TOOL_PAGES = 100;
/** Most tools of one list read (pages can be of any size). */
export const MAX_LISTED_TOOLS = 10_000;
/** Most bytes of tool definitions kept from one list (each page may be up to the 16 MiB answer cap). */
export const MAX_LISTED_BYTES = 32 * 2 ** 20;
/** Longest the whole list may take, like connecting. */
export const LIST_TIMEOUT_MS = 15_000;

/** The tools read, and why the list stopped early (undefined: the server's list was read to its end). */
export interface ToolListing {
  tools: Tool[];
  cut: string | undefined;
}

/**
 * Reads the server's tool list page by page until it ends or a bound stops it; throws when a page
 * fails other than by the deadline, or `signal` aborted.
 * @example const { tools, cut } = await listAllTools(client, { signal });
 */
export async function listAllTools(client: Client, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ToolListing> {
  const timeoutMs = opts.timeoutMs ?? LIST_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const tools: Tool[] = [];
  let bytes = 0;
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages === MAX_TOOL_PAGES) return { tools, cut: `the tool list was cut after ${MAX_TOOL_PAGES} pages` };
    // One signal per page: the client listens on the signal of each request it sends.
    const signal = AbortSignal.any(opts.signal === undefined ? [deadline] : [opts.signal, deadline]);
    let page;
    try {
      page = await client.listTools(cursor === undefined ? undefined : { cursor }, { signal, timeout: timeoutMs });
    } catch (err) {
      if (!deadline.aborted || opts.signal?.aborted === true) throw err;
      return { tools, cut: `the tool list was cut: the server did not send it all within ${timeoutMs / 1000} s` };
    }
    for (const tool of page.tools.slice(0, MAX_LISTED_TOOLS - tools.length)) {
      // Kept in memory and sent to the model on every turn: a list's size is bounded, not just its count.
      bytes += JSON.stringify(tool).length;
      if (bytes > MAX_LISTED_BYTES)
        return { tools, cut: `the tool list was cut after ${MAX_LISTED_BYTES / 2 ** 20} MiB of tool definitions` };
      tools.push(tool);
    }
    cursor = page.nextCursor;
    if (cursor === undefined) return { tools, cut: undefined };
    if (tools.length >= MAX_LISTED_TOOLS) return { tools, cut: `the tool list was cut after ${MAX_LISTED_TOOLS} tools` };
    if (cursors.has(cursor)) return { tools, cut: 'the tool list was cut: the server sent a page cursor it had sent before' };
    cursors.add(cursor);
  }
}

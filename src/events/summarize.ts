/**
 * One-line, human-readable summaries of tool calls, for live views that cannot show whole inputs.
 */

/** Longest summary, in UTF-16 units: one terminal line. */
export const SUMMARY_LIMIT = 120;

type Fields = Record<string, unknown>;

/**
 * What a tool call does, in one line: the command, the file, the pattern, the URL...
 * @example summarizeToolInput('Bash', { command: 'npm test' }) // 'npm test'
 */
export function summarizeToolInput(tool: string, input: unknown): string {
  const fields: Fields = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Fields) : {};
  return clip(describe(tool, fields) ?? firstString(fields) ?? tool);
}

function describe(tool: string, f: Fields): string | undefined {
  switch (tool) {
    case 'Bash':
      return str(f.command);
    case 'Read':
    case 'Edit':
    case 'MultiEdit':
      return str(f.file_path);
    case 'Write': {
      const path = str(f.file_path);
      const content = str(f.content);
      return path === undefined ? undefined : content === undefined ? path : `${path} (${plural(countLines(content), 'line')})`;
    }
    case 'NotebookEdit':
      return str(f.notebook_path);
    case 'Glob':
    case 'Grep': {
      const pattern = str(f.pattern);
      const path = str(f.path);
      return pattern === undefined ? undefined : path === undefined ? pattern : `${pattern} in ${path}`;
    }
    case 'WebFetch':
      return str(f.url);
    case 'WebSearch':
      return str(f.query);
    case 'TaskCreate':
      return str(f.subject);
    case 'TodoWrite':
      return Array.isArray(f.todos) ? plural(f.todos.length, 'todo') : undefined;
    case 'Agent':
    case 'Task':
      return str(f.description);
    default:
      return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function firstString(f: Fields): string | undefined {
  for (const value of Object.values(f)) {
    const s = str(value);
    if (s !== undefined) return s;
  }
  return undefined;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function countLines(text: string): number {
  if (text === '') return 0;
  const breaks = text.split('\n').length - 1;
  // A final newline ends the last line rather than starting another.
  return text.endsWith('\n') ? breaks : breaks + 1;
}

/** The first non-blank line, cut to SUMMARY_LIMIT; '…' marks anything left out. */
function clip(text: string): string {
  const lines = text.split(/\r\n|\r|\n/);
  const index = lines.findIndex((line) => line.trim() !== '');
  const line = (lines[index] ?? '').trim();
  const more = lines.slice(index + 1).some((rest) => rest.trim() !== '');
  if (line.length <= SUMMARY_LIMIT && !more) return line;
  if (line.length <= SUMMARY_LIMIT - 2) return `${line} …`;
  let cut = SUMMARY_LIMIT - 1;
  const code = line.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${line.slice(0, cut)}…`;
}

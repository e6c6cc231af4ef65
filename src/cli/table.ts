/**
 * Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.
 * Twenty lines rather than cli-table3, whose borderless mode still pads and aligns differently:
 * scripts and tests read these lines (`cca keys list | grep`), so their layout stays as it was.
 */

/** A column: its header and whether its cells align right. */
export interface Column {
  header: string;
  right?: boolean;
}

/**
 * Renders a header row and the rows, two spaces between columns, one line each.
 * @example formatTable([{ header: 'ID' }, { header: 'RATE', right: true }], [['k1', '10']])
 */
export function formatTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return c.right ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/**
 * Text as one line of at most `width` characters: whitespace runs become one space, the cut is marked.
 * @example oneLine('a\n  b', 80) // 'a b'
 */
export function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

/**
 * A count with its noun in the right number.
 * @example plural(1, 'file') // '1 file'; plural(2, 'run') // '2 runs'
 */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

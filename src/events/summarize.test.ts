import { describe, expect, it } from 'vitest';
import { SUMMARY_LIMIT, summarizeToolInput } from './summarize.js';

describe('summarizeToolInput', () => {
  it('shows the first line of a Bash command, cut to one terminal line', () => {
    expect(summarizeToolInput('Bash', { command: 'npm test', description: 'Run tests' })).toBe('npm test');
    expect(summarizeToolInput('Bash', { command: 'cat <<EOF > a.txt\nhello\nEOF' })).toBe('cat <<EOF > a.txt …');
    const long = summarizeToolInput('Bash', { command: `echo ${'y'.repeat(300)}` });
    expect(long).toHaveLength(SUMMARY_LIMIT);
    expect(long.endsWith('…')).toBe(true);
  });

  it('shows the file of file tools, and the line count of Write', () => {
    expect(summarizeToolInput('Read', { file_path: '/w/app/main.py', limit: 10 })).toBe('/w/app/main.py');
    expect(summarizeToolInput('Edit', { file_path: '/w/a.ts', old_string: 'a', new_string: 'b' })).toBe('/w/a.ts');
    expect(summarizeToolInput('MultiEdit', { file_path: '/w/b.ts', edits: [] })).toBe('/w/b.ts');
    expect(summarizeToolInput('NotebookEdit', { notebook_path: '/w/n.ipynb', new_source: 'x' })).toBe('/w/n.ipynb');
    expect(summarizeToolInput('Write', { file_path: '/w/a.py', content: 'a\nb\nc\n' })).toBe('/w/a.py (3 lines)');
    expect(summarizeToolInput('Write', { file_path: '/w/b.py', content: 'one line' })).toBe('/w/b.py (1 line)');
  });

  it('shows patterns, URLs, queries and task subjects', () => {
    expect(summarizeToolInput('Glob', { pattern: '**/*.ts' })).toBe('**/*.ts');
    expect(summarizeToolInput('Grep', { pattern: 'TODO', path: 'src' })).toBe('TODO in src');
    expect(summarizeToolInput('WebFetch', { url: 'https://example.com', prompt: 'summarize' })).toBe('https://example.com');
    expect(summarizeToolInput('WebSearch', { query: 'fastapi health check' })).toBe('fastapi health check');
    expect(summarizeToolInput('TaskCreate', { subject: 'Write tests', description: 'all of them' })).toBe('Write tests');
    expect(summarizeToolInput('TodoWrite', { todos: [{}, {}] })).toBe('2 todos');
    expect(summarizeToolInput('TodoWrite', { todos: [{}] })).toBe('1 todo');
  });

  it('falls back to the first string field, then to the tool name', () => {
    expect(summarizeToolInput('mcp__x__lookup', { limit: 3, term: 'needle', other: 'later' })).toBe('needle');
    expect(summarizeToolInput('Bash', { timeout: 5 })).toBe('Bash');
    expect(summarizeToolInput('Mystery', null)).toBe('Mystery');
    expect(summarizeToolInput('Mystery', { blank: '   ' })).toBe('Mystery');
  });
});

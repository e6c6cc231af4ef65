import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { DEFAULT_TOOLS, KNOWN_TOOLS, resolveTools } from './tools.js';

describe('resolveTools', () => {
  it('gives the default set (a fresh copy) when no tools are named', () => {
    const tools = resolveTools(undefined);
    expect(tools).toEqual(DEFAULT_TOOLS);
    expect(tools).toContain('Bash');
    expect(tools).not.toContain('WebFetch');
    tools.push('Mutated');
    expect(resolveTools(undefined)).not.toContain('Mutated');
  });

  it('splits a comma string and trims spaces', () => {
    expect(resolveTools(' Bash ,Read,  Write,')).toEqual(['Bash', 'Read', 'Write']);
  });

  it('takes an array', () => {
    expect(resolveTools(['Grep', ' Glob '])).toEqual(['Grep', 'Glob']);
  });

  it('ignores case and returns the canonical names', () => {
    expect(resolveTools('bash,READ,notebookedit,webFETCH')).toEqual(['Bash', 'Read', 'NotebookEdit', 'WebFetch']);
  });

  it('maps the seed aliases Replace→Edit, Search→Grep, List→Glob', () => {
    expect(resolveTools('Replace,Search,List')).toEqual(['Edit', 'Grep', 'Glob']);
    expect(resolveTools(['replace'])).toEqual(['Edit']);
  });

  it('deduplicates, keeping the first position', () => {
    expect(resolveTools('Read,Edit,read,Replace,Bash,Edit')).toEqual(['Read', 'Edit', 'Bash']);
  });

  it('gives no tools for an empty string, a blank string or an empty array', () => {
    expect(resolveTools('')).toEqual([]);
    expect(resolveTools(' , ')).toEqual([]);
    expect(resolveTools([])).toEqual([]);
  });

  it('rejects unknown names with a ValidationError listing them and the valid names', () => {
    let caught: unknown;
    try {
      resolveTools('Bash,Teleport, Fly ,Read');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const err = caught as ValidationError;
    expect(err.message).toContain('Unknown tools in allowed_tools: "Teleport", "Fly"');
    for (const name of KNOWN_TOOLS) expect(err.message).toContain(name);
    expect(err.message).toContain('Replace→Edit');
    expect(err.details).toMatchObject({ field: 'allowed_tools', unknown: ['Teleport', 'Fly'], valid: [...KNOWN_TOOLS] });
  });

  it('says "tool" for one unknown name', () => {
    expect(() => resolveTools(['Nope'])).toThrow(/^Unknown tool in allowed_tools: "Nope"\./);
  });
});

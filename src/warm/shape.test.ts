import { describe, expect, it } from 'vitest';
import { notEligible, shapeKey, type WarmShape } from './shape.js';

const shape: WarmShape = {
  permissionMode: 'acceptEdits',
  tools: ['Write', 'Read'],
  maxTurns: 50,
  maxBudgetUsd: 5,
  model: undefined,
  egress: ['b.com', 'a.com'],
};

describe('shapeKey', () => {
  it('is the same whatever the order of tools and hosts, and differs for any option Claude Code starts with', () => {
    expect(shapeKey({ ...shape, tools: ['Read', 'Write'], egress: ['a.com', 'b.com'] })).toBe(shapeKey(shape));
    for (const other of [
      { permissionMode: 'manual' },
      { tools: ['Write'] },
      { maxTurns: 49 },
      { maxBudgetUsd: 4 },
      { model: 'claude-haiku-4-5' },
      { egress: undefined },
      { egress: [] },
    ]) {
      expect(shapeKey({ ...shape, ...other })).not.toBe(shapeKey(shape));
    }
  });
});

describe('notEligible', () => {
  const ok = { isNew: true, repository: false, inputs: false, mcp: false, defaultResources: true };
  it('lets a new session with an empty workspace and the server limits use a warm agent', () => {
    expect(notEligible(ok)).toBeUndefined();
  });
  it('names why anything else runs cold', () => {
    expect(notEligible({ ...ok, isNew: false })).toBe('continued_session');
    expect(notEligible({ ...ok, repository: true })).toBe('repository');
    expect(notEligible({ ...ok, inputs: true })).toBe('inputs');
    expect(notEligible({ ...ok, mcp: true })).toBe('mcp');
    expect(notEligible({ ...ok, defaultResources: false })).toBe('resources');
  });
});

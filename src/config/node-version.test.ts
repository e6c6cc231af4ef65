import { describe, expect, it } from 'vitest';
import { nodeVersionWarning } from './node-version.js';

describe('nodeVersionWarning', () => {
  it('warns on one line before Node.js 22: what is supported, that 20 is end-of-life, what to do', () => {
    const note = nodeVersionWarning('v20.19.0');
    expect(note).toContain('Node.js v20.19.0 is end-of-life');
    expect(note).toContain('Node.js 22 (recommended) or 20.19+');
    expect(note).toMatch(/Upgrade to Node\.js 22\.$/);
    expect(note).not.toContain('\n');
    expect(nodeVersionWarning('v18.20.4')).toBeDefined();
  });

  it('says nothing on Node.js 22 and later', () => {
    for (const v of ['v22.0.0', 'v22.23.5', 'v24.11.1', 'v25.1.0']) expect(nodeVersionWarning(v)).toBeUndefined();
  });
});

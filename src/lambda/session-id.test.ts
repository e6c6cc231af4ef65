import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { sessionIdFor } from './session-id.js';

const LONG = 'a'.repeat(33);

describe('sessionIdFor', () => {
  it('makes a new UUID, long enough for AgentCore, when none is given', () => {
    const { sessionId, isNew } = sessionIdFor(undefined, undefined);
    expect(isNew).toBe(true);
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('lets the AgentCore header win over the body, as the local gateway does', () => {
    expect(sessionIdFor(`h${LONG}`, `b${LONG}`)).toEqual({ sessionId: `h${LONG}`, isNew: false });
    expect(sessionIdFor(undefined, `b${LONG}`)).toEqual({ sessionId: `b${LONG}`, isNew: false });
  });

  it('refuses ids shorter than 33 characters, saying how long they are and what to do', () => {
    expect(() => sessionIdFor(undefined, 'a'.repeat(32))).toThrow(ValidationError);
    expect(() => sessionIdFor(undefined, 'short')).toThrow(/5 characters.*at least 33.*Omit session_id/);
  });

  it('refuses what the runtime refuses with its own message', () => {
    expect(() => sessionIdFor(undefined, `../${LONG}`)).toThrow(/session_id must be 1-128 characters/);
    expect(() => sessionIdFor(undefined, 'a'.repeat(129))).toThrow(/session_id must be 1-128 characters/);
  });
});

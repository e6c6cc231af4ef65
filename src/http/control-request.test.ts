import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { isControlRequest, parseControlRequest } from './control-request.js';
import { parseInvocation } from './invocation-request.js';
import { loadConfig } from '../config/index.js';

describe('control requests on /invocations', () => {
  it('takes the cancel and permission forms', () => {
    expect(parseControlRequest({ control: { action: 'cancel' } })).toEqual({ control: { action: 'cancel' } });
    const answer = { action: 'permission', request_id: 'r-1', decision: 'deny', message: 'No.' };
    expect(parseControlRequest({ control: answer })).toEqual({ control: answer });
  });

  it('is told apart by a top-level control field only', () => {
    expect(isControlRequest({ control: {} })).toBe(true);
    expect(isControlRequest({ prompt: 'control' })).toBe(false);
    expect(isControlRequest(['control'])).toBe(false);
    expect(isControlRequest(null)).toBe(false);
  });

  it.each([
    ['an unknown action', { control: { action: 'pause' } }],
    ['a permission without a decision', { control: { action: 'permission', request_id: 'r' } }],
    ['an empty request id', { control: { action: 'permission', request_id: '', decision: 'allow' } }],
    ['extra fields in control', { control: { action: 'cancel', force: true } }],
    ['a prompt beside control', { control: { action: 'cancel' }, prompt: 'and run this' }],
  ])('refuses %s with a 400 that says the two forms', (_name, body) => {
    expect(() => parseControlRequest(body)).toThrow(ValidationError);
    expect(() => parseControlRequest(body)).toThrow(/control must be \{"action": "cancel"\} or \{"action": "permission"/);
  });

  it('leaves the invocation request strict: control is no field of it', () => {
    expect(() => parseInvocation({ prompt: 'x', control: { action: 'cancel' } }, loadConfig({}, {}).limits)).toThrow(
      /Unknown field "control"/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { allowedMethods } from './allowed-methods.js';

const ROUTES = [
  { method: 'ALL', path: '*' },
  { method: 'POST', path: '/invoke' },
  { method: 'GET', path: '/sessions/:session_id' },
  { method: 'GET', path: '/sessions/{session_id}/files' },
  { method: 'POST', path: '/sessions/{session_id}/files' },
  { method: 'GET', path: '/files/*' },
];

describe('allowedMethods', () => {
  it('lists the methods of every template the path matches, HEAD beside GET, middleware left out', () => {
    expect(allowedMethods(ROUTES, '/invoke')).toEqual(['POST']);
    expect(allowedMethods(ROUTES, '/sessions/abc')).toEqual(['GET', 'HEAD']);
    expect(allowedMethods(ROUTES, '/sessions/abc/files')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowedMethods(ROUTES, '/files/outputs/x/a.txt')).toEqual(['GET', 'HEAD']);
  });

  it('is empty for a path no route has: one segment per parameter, the whole path matched', () => {
    expect(allowedMethods(ROUTES, '/nothing')).toEqual([]);
    expect(allowedMethods(ROUTES, '/sessions/a/b')).toEqual([]);
    expect(allowedMethods(ROUTES, '/invoke/extra')).toEqual([]);
    expect(allowedMethods(ROUTES, '/prefix/invoke')).toEqual([]);
    expect(allowedMethods(ROUTES, '/')).toEqual([]);
  });
});

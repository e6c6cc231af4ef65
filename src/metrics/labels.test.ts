import { describe, expect, it } from 'vitest';
import { openApiPath } from '../http/index.js';
import { keyLabel, methodLabel, NO_KEY, statusLabel } from './labels.js';

describe('label values', () => {
  it('names a key by its id, and runs without a key as "-"', () => {
    expect(keyLabel('1f2e3d4c5b6a')).toBe('1f2e3d4c5b6a');
    expect(keyLabel(undefined)).toBe(NO_KEY);
    expect(NO_KEY).toBe('-');
  });

  it('keeps the standard methods and folds any other token into "other"', () => {
    expect(['GET', 'post', 'Head', 'OPTIONS', 'DELETE'].map(methodLabel)).toEqual(['GET', 'POST', 'HEAD', 'OPTIONS', 'DELETE']);
    expect(['PROPFIND', 'BREW', 'x'.repeat(200)].map(methodLabel)).toEqual(['other', 'other', 'other']);
  });

  it('keeps statuses 100-599 and folds anything else', () => {
    expect([200, 404, 599, 100].map(statusLabel)).toEqual(['200', '404', '599', '100']);
    expect([0, 99, 600, 200.5, Number.NaN].map(statusLabel)).toEqual(['other', 'other', 'other', 'other', 'other']);
  });

  it('spells routes as the OpenAPI document does: parameters in braces, the files wildcard as {key}', () => {
    expect(openApiPath('/sessions/:session_id/permissions/:request_id')).toBe('/sessions/{session_id}/permissions/{request_id}');
    expect(openApiPath('/files/*')).toBe('/files/{key}');
    expect(openApiPath('/sessions/:id{[a-z]+}/events')).toBe('/sessions/{id}/events');
    expect(openApiPath('/invoke')).toBe('/invoke');
  });
});

import { describe, expect, it } from 'vitest';
import { contentTypeFor } from './content-type.js';

describe('contentTypeFor', () => {
  it.each([
    ['app.py', 'text/x-python; charset=utf-8'],
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['README.md', 'text/plain; charset=utf-8'],
    ['data.json', 'application/json'],
    ['index.html', 'text/html; charset=utf-8'],
    ['chart.png', 'image/png'],
    ['dir.with.dots/photo.JPG', 'image/jpeg'],
  ])('%s -> %s', (path, type) => {
    expect(contentTypeFor(path)).toBe(type);
  });

  it('falls back to application/octet-stream for unknown or missing extensions', () => {
    expect(contentTypeFor('blob.xyz')).toBe('application/octet-stream');
    expect(contentTypeFor('Makefile')).toBe('application/octet-stream');
    expect(contentTypeFor('.env')).toBe('application/octet-stream');
    expect(contentTypeFor('a.constructor')).toBe('application/octet-stream');
  });
});

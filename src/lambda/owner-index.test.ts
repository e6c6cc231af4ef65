import { describe, expect, it } from 'vitest';
import { memoryObjects } from './objects.js';
import { indexEntryOf, indexSession, listOwnedSessions, ownerIndexKey } from './owner-index.js';

const ID = 'session-'.padEnd(40, 'x');

describe('the owner index', () => {
  it('keys a session under its API key, its creation time inverted so that newer sorts first', () => {
    const key = ownerIndexKey('team/agent', 'a1b2c3', '2025-01-01T00:00:00.000Z', ID);
    expect(key).toBe(`team/agent/owners/a1b2c3/sessions/${9_999_999_999_999 - Date.parse('2025-01-01T00:00:00.000Z')}_${ID}`);
    expect(ownerIndexKey('', 'k', '2025-01-02T00:00:00.000Z', ID) < ownerIndexKey('', 'k', '2025-01-01T00:00:00.000Z', ID)).toBe(true);
    expect(indexEntryOf(key)).toEqual({ sessionId: ID, createdAt: '2025-01-01T00:00:00.000Z' });
    expect(indexEntryOf('owners/k/sessions/readme.txt')).toBeUndefined();
  });

  it('keeps a key id that is no plain name inside its own folder', () => {
    expect(ownerIndexKey('', '../x/sessions', '2025-01-01T00:00:00.000Z', ID)).toMatch(/^owners\/\.\.%2Fx%2Fsessions\/sessions\//);
  });

  it('refuses a creation time that is not a date', () => {
    expect(() => ownerIndexKey('', 'k', 'yesterday', ID)).toThrow(/not a date/);
  });

  it('pages after a given session', async () => {
    const objects = memoryObjects();
    for (let day = 1; day <= 3; day++)
      await indexSession(objects, '', `${ID}${day}`, { owner: 'k', created_at: `2025-01-0${day}T00:00:00.000Z` });
    const first = await listOwnedSessions(objects, '', 'k', 2);
    expect(first).toEqual({
      entries: [expect.objectContaining({ sessionId: `${ID}3` }), expect.objectContaining({ sessionId: `${ID}2` })],
      more: true,
    });
    const rest = await listOwnedSessions(objects, '', 'k', 2, first.entries[1]);
    expect(rest).toEqual({ entries: [{ sessionId: `${ID}1`, createdAt: '2025-01-01T00:00:00.000Z' }], more: false });
  });
});

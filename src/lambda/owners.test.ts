import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors/index.js';
import { memoryObjects, type SessionObjects } from './objects.js';
import { claimSession, ownerKey, visibleSession } from './owners.js';
import { ownerIndexKey } from './owner-index.js';

const ID = 'session-'.padEnd(40, 'x');
const NOW = new Date('2025-01-01T12:00:00.000Z');

describe('session ownership in the bucket', () => {
  it('keeps owner records beside the state, under the prefix', () => {
    expect(ownerKey('', ID)).toBe(`sessions/${ID}/owner.json`);
    expect(ownerKey('team/agent', ID)).toBe(`team/agent/sessions/${ID}/owner.json`);
  });

  it('gives a new session to the key that created it and lets only that key continue or read it', async () => {
    const objects = memoryObjects();
    expect(await claimSession(objects, 'p', ID, 'key-a', { isNew: true, now: NOW })).toEqual({
      owner: 'key-a',
      created_at: NOW.toISOString(),
    });
    expect(JSON.parse(objects.data.get(ownerKey('p', ID)) ?? '{}')).toEqual({ owner: 'key-a', created_at: NOW.toISOString() });
    await expect(claimSession(objects, 'p', ID, 'key-a', { isNew: false, now: new Date() })).resolves.toMatchObject({
      created_at: NOW.toISOString(),
    });
    await expect(visibleSession(objects, 'p', ID, 'key-a')).resolves.toMatchObject({ owner: 'key-a' });
    await expect(claimSession(objects, 'p', ID, 'key-b', { isNew: false, now: NOW })).rejects.toThrow(
      `Session ${ID} was not found; omit session_id to start a new session.`,
    );
    await expect(visibleSession(objects, 'p', ID, 'key-b')).rejects.toThrow(NotFoundError);
  });

  it('creates a caller-named session on first use, and indexes it under its key', async () => {
    const objects = memoryObjects();
    await claimSession(objects, '', ID, 'key-a', { isNew: false, now: NOW });
    await expect(visibleSession(objects, '', ID, 'key-a')).resolves.toMatchObject({ owner: 'key-a' });
    expect(JSON.parse(objects.data.get(ownerIndexKey('', 'key-a', NOW.toISOString(), ID)) ?? '{}')).toEqual({
      session_id: ID,
      created_at: NOW.toISOString(),
    });
    await expect(visibleSession(objects, '', `other-${ID}`, 'key-a')).rejects.toThrow(`Session other-${ID} was not found.`);
  });

  it('leaves a session to whoever won a race to create it', async () => {
    const objects = memoryObjects();
    // Another container creates it between our read and our conditional write.
    const racing: SessionObjects = {
      ...objects,
      async createJson(key, value) {
        await objects.createJson(key, { owner: 'key-b', created_at: NOW.toISOString() });
        return objects.createJson(key, value);
      },
    };
    await expect(claimSession(racing, '', ID, 'key-a', { isNew: false, now: NOW })).rejects.toThrow(NotFoundError);
    await expect(claimSession(racing, '', `${ID}2`, 'key-b', { isNew: true, now: NOW })).resolves.toMatchObject({ owner: 'key-b' });
  });

  it('asks to retry while a concurrent creation is still in flight', async () => {
    const inFlight: SessionObjects = { ...memoryObjects(), getJson: async () => undefined, createJson: async () => false };
    await expect(claimSession(inFlight, '', ID, 'key-a', { isNew: true, now: NOW })).rejects.toThrow(/being created by another request/);
  });

  it('treats a malformed owner record as a fault, not as a free session', async () => {
    const objects = memoryObjects();
    objects.data.set(ownerKey('', ID), JSON.stringify({ owner: 7 }));
    await expect(claimSession(objects, '', ID, 'key-a', { isNew: false, now: NOW })).rejects.toThrow(/malformed/);
  });
});

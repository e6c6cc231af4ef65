import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectSandbox } from './detect.js';

describe('detectSandbox', () => {
  it('is off when asked to be, without looking for bwrap', async () => {
    expect(await detectSandbox('off', { bwrapPath: '/nonexistent/bwrap' })).toEqual({ kind: 'off' });
  });

  it('is unavailable off Linux', async () => {
    const status = await detectSandbox('bwrap', { platform: 'darwin' });
    expect(status).toEqual({ kind: 'unavailable', reason: expect.stringContaining('needs Linux') });
  });

  it('is unavailable when the given bwrap does not exist', async () => {
    const status = await detectSandbox('bwrap', { bwrapPath: '/nonexistent/bwrap', platform: 'linux' });
    expect(status.kind).toBe('unavailable');
    expect(status.kind === 'unavailable' && status.reason).toMatch(/^\/nonexistent\/bwrap does not work here: /);
  });

  it('is unavailable when no bwrap is on the search path', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-nobwrap-'));
    try {
      expect(await detectSandbox('bwrap', { searchPath: empty, platform: 'linux' })).toEqual({
        kind: 'unavailable',
        reason: 'bwrap (bubblewrap) was not found on PATH',
      });
    } finally {
      await fs.rm(empty, { recursive: true });
    }
  });

  it('is unavailable when bwrap exists but cannot make the sandbox, with what it said', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-badbwrap-'));
    const fake = path.join(dir, 'bwrap');
    await fs.writeFile(fake, '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n', { mode: 0o755 });
    try {
      expect(await detectSandbox('bwrap', { searchPath: dir, platform: 'linux' })).toEqual({
        kind: 'unavailable',
        reason: `${fake} does not work here: bwrap: No permissions to create new namespace`,
      });
    } finally {
      await fs.rm(dir, { recursive: true });
    }
  });

  it('works without a network of its own when bwrap refuses --unshare-net (some containers)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-nonetbwrap-'));
    const fake = path.join(dir, 'bwrap');
    const script =
      '#!/bin/sh\nfor a; do [ "$a" = --unshare-net ] && { echo "bwrap: loopback: Failed RTM_NEWADDR" >&2; exit 1; }; done\nexit 0\n';
    await fs.writeFile(fake, script, { mode: 0o755 });
    try {
      expect(await detectSandbox('bwrap', { bwrapPath: fake, platform: 'linux' })).toEqual({ kind: 'bwrap', path: fake, network: false });
    } finally {
      await fs.rm(dir, { recursive: true });
    }
  });

  it.skipIf(process.platform !== 'linux')('finds a working bwrap on PATH (CI installs bubblewrap)', async () => {
    const status = await detectSandbox('bwrap', { searchPath: process.env.PATH });
    expect(status).toEqual({ kind: 'bwrap', path: expect.stringMatching(/\/bwrap$/), network: true });
  });
});

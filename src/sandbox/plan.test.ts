import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressSocketsDir } from '../egress/index.js';
import { hiddenPaths, sandboxForRun } from './plan.js';

describe('hiddenPaths', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cca-plan-')));
    await fs.mkdir(path.join(root, 'data'));
    await fs.mkdir(path.join(root, 'home'));
    await fs.symlink(path.join(root, 'data'), path.join(root, 'data-link'));
  });
  afterAll(async () => fs.rm(root, { recursive: true, force: true }));

  it('hides the data dir, the service user home and /root', () => {
    const hidden = hiddenPaths(path.join(root, 'data'), path.join(root, 'home'));
    expect(hidden.slice(0, 2)).toEqual([path.join(root, 'data'), path.join(root, 'home')]);
    expect(hidden.includes('/root')).toBe(existsSync('/root'));
  });

  it('uses real paths, skips missing directories and repeats none', () => {
    const hidden = hiddenPaths(path.join(root, 'data-link'), path.join(root, 'missing'));
    expect(hidden[0]).toBe(path.join(root, 'data'));
    expect(hidden).not.toContain(path.join(root, 'missing'));
    expect(hiddenPaths(path.join(root, 'home'), path.join(root, 'home')).filter((p) => p === path.join(root, 'home'))).toHaveLength(1);
  });

  it('hides the service user home by default (os.homedir())', () => {
    expect(hiddenPaths(path.join(root, 'data'))).toContain(os.homedir());
  });
});

describe('sandboxForRun', () => {
  const dirs = { dataDir: os.tmpdir(), home: '/d/s/home', tmp: '/d/s/tmp' };

  it('is undefined with --no-sandbox: Claude Code is spawned directly', () => {
    expect(sandboxForRun({ kind: 'off' }, dirs)).toBeUndefined();
  });

  it('carries bwrap, the session directories and the hidden paths', () => {
    expect(sandboxForRun({ kind: 'bwrap', path: '/usr/bin/bwrap', network: true }, dirs)).toEqual({
      bwrapPath: '/usr/bin/bwrap',
      home: '/d/s/home',
      tmp: '/d/s/tmp',
      // The egress proxies' sockets are hidden from every run (when that directory exists).
      hide: hiddenPaths(dirs.dataDir, os.homedir(), [egressSocketsDir()]),
    });
  });

  it("hides /run (the host's Unix sockets) only from a run with an egress allowlist", () => {
    const status = { kind: 'bwrap', path: '/usr/bin/bwrap', network: true } as const;
    const egress = { socket: '/tmp/cca-egress-x/proxy.sock', forwards: [], restricted: true };
    expect(sandboxForRun(status, dirs)?.hide).not.toContain('/run');
    const run = sandboxForRun(status, dirs, egress);
    expect(run?.egress).toBe(egress);
    expect(run?.hide).toEqual(hiddenPaths(dirs.dataDir, os.homedir(), [egressSocketsDir(), '/run']));
    expect(run?.hide.length).toBe(sandboxForRun(status, dirs)!.hide.length + (existsSync('/run') ? 1 : 0));
  });

  it('refuses a network of its own without a sandbox rather than run with the host network', () => {
    expect(() => sandboxForRun({ kind: 'off' }, dirs, { socket: '/s', forwards: [], restricted: false })).toThrow(/network of its own but no sandbox/);
  });

  it('never runs unsandboxed when the sandbox is unavailable', () => {
    expect(() => sandboxForRun({ kind: 'unavailable', reason: 'no bwrap' }, dirs)).toThrow(/no bwrap/);
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ownForRun, setprivCommand } from './run-user.js';

describe('setprivCommand', () => {
  it('switches user and group, clears groups, capabilities and the bounding set, forbids new privileges, then --', () => {
    expect(setprivCommand('/usr/bin/setpriv', { uid: 65534, gid: 65533 })).toEqual([
      '/usr/bin/setpriv', '--reuid=65534', '--regid=65533', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--',
    ]); // prettier-ignore
  });
});

describe.skipIf(process.getuid?.() !== 0)('ownForRun (as root)', () => {
  let root: string;
  const user = { uid: 65534, gid: 65534 };
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-own-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("chowns a directory not yet the user's with all it holds, but not what a link points to", async () => {
    const ws = path.join(root, 'workspace');
    await fs.mkdir(path.join(ws, 'src/deep'), { recursive: true });
    await fs.writeFile(path.join(ws, 'src/deep/a.py'), 'x');
    const outside = path.join(root, 'outside');
    await fs.writeFile(outside, 'host file');
    await fs.symlink(outside, path.join(ws, 'link'));
    await fs.chmod(ws, 0o700);
    await ownForRun([ws], user);
    expect((await fs.stat(ws)).mode & 0o777).toBe(0o711);
    for (const p of ['', 'src', 'src/deep', 'src/deep/a.py']) {
      expect((await fs.stat(path.join(ws, p))).uid, p).toBe(65534);
    }
    expect((await fs.lstat(path.join(ws, 'link'))).uid).toBe(65534);
    expect((await fs.stat(outside)).uid).toBe(0);
  });

  it('leaves a directory alone once its top is the user (a file the service made inside stays as it is)', async () => {
    const ws = path.join(root, 'workspace');
    await fs.mkdir(ws);
    await fs.chown(ws, user.uid, user.gid);
    await fs.writeFile(path.join(ws, 'root-file'), 'x');
    await ownForRun([ws], user);
    expect((await fs.stat(path.join(ws, 'root-file'))).uid).toBe(0);
  });
});

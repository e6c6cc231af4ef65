import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changedPaths, textPatch } from './changes.js';
import { headOf, markRecorded, markWorkspaceChanged, recordWorkspace, startingPoint } from './shadow.js';

let root: string;
let gitDir: string;
let workspace: string;
const job = () => ({ gitDir, workspace, maxFileBytes: 1024 * 1024, message: 'record' });

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-shadow-'));
  gitDir = path.join(root, 'git');
  workspace = path.join(root, 'workspace');
  await fs.mkdir(workspace);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function write(rel: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(path.join(workspace, rel)), { recursive: true });
  await fs.writeFile(path.join(workspace, rel), content);
}

describe('the private record of a workspace', () => {
  it('reports added, modified, deleted and renamed paths, and a patch that applies to the start', async () => {
    await write('keep.txt', 'one\ntwo\nthree\n');
    await write('gone.txt', 'bye\n');
    await write('old/name.py', Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\n');
    await write('img.bin', Buffer.from([0, 1, 2, 3, 0, 255]));
    const base = await startingPoint(job());

    await write('keep.txt', 'one\nTWO\nthree\n');
    await fs.rm(path.join(workspace, 'gone.txt'));
    await fs.mkdir(path.join(workspace, 'new'), { recursive: true });
    await fs.rename(path.join(workspace, 'old/name.py'), path.join(workspace, 'new/name.py'));
    await write('added.md', '# hi\n');
    await write('img.bin', Buffer.from([0, 9, 9, 9, 0, 255, 7]));
    const { commit: head } = await recordWorkspace(job());

    const changes = await changedPaths(gitDir, base, head);
    const byPath = Object.fromEntries(changes.map((c) => [c.path, c]));
    expect(byPath['keep.txt']).toMatchObject({ status: 'modified', additions: 1, deletions: 1, binary: false });
    expect(byPath['gone.txt']).toMatchObject({ status: 'deleted' });
    expect(byPath['new/name.py']).toMatchObject({ status: 'renamed', from: 'old/name.py' });
    expect(byPath['added.md']).toMatchObject({ status: 'added', additions: 1 });
    expect(byPath['img.bin']).toMatchObject({ status: 'modified', binary: true });
    expect(changes).toHaveLength(5);

    const patch = await textPatch(gitDir, base, head, 1024 * 1024);
    expect(patch.kind).toBe('patch');
    if (patch.kind !== 'patch') return;
    const text = patch.bytes.toString();
    expect(text).toContain('rename from old/name.py');
    expect(text).not.toContain('img.bin');
    // The patch applies to the starting point, checked out fresh.
    const check = path.join(root, 'check');
    execFileSync('git', ['init', '-q', check]);
    execFileSync('git', [`--git-dir=${gitDir}`, `--work-tree=${check}`, 'read-tree', '-u', '--reset', base], {
      env: { ...process.env, GIT_INDEX_FILE: path.join(root, 'idx') },
    });
    await fs.writeFile(path.join(root, 'changes.patch'), patch.bytes);
    execFileSync('git', ['apply', '--check', path.join(root, 'changes.patch')], { cwd: check });
  });

  it('starts from the last record when nothing touched the workspace, and records it again when something did', async () => {
    await write('a.txt', 'a\n');
    const first = await startingPoint(job());
    const { commit } = await recordWorkspace(job());
    await markRecorded(gitDir);
    expect(await startingPoint(job())).toBe(commit);
    // An upload between invocations is not the next run's change.
    await write('uploaded.txt', 'input\n');
    await markWorkspaceChanged(gitDir);
    const base = await startingPoint(job());
    expect(base).not.toBe(commit);
    const { commit: head } = await recordWorkspace(job());
    expect(await changedPaths(gitDir, base, head)).toEqual([]);
    expect(first).not.toBe(base);
    expect(await headOf(gitDir)).toBe(head);
  });

  it('leaves out hard links, files over the limit and FIFOs (removed: git would block on one), and follows .gitignore', async () => {
    const base = await startingPoint(job());
    await write('.gitignore', 'node_modules/\n');
    await write('node_modules/dep/index.js', 'x\n');
    await write('big.dat', Buffer.alloc(2 * 1024 * 1024));
    await write('linked.txt', 'shared\n');
    await fs.link(path.join(workspace, 'linked.txt'), path.join(workspace, 'second-name.txt'));
    execFileSync('mkfifo', [path.join(workspace, 'pipe')]);
    await fs.symlink('/etc/passwd', path.join(workspace, 'link'));
    const { commit: head, leftOut } = await recordWorkspace(job());
    expect(leftOut.map((l) => [l.path, l.reason]).sort()).toEqual([
      ['big.dat', 'file_too_large'],
      ['linked.txt', 'hard_link'],
      ['pipe', 'special_file'],
      ['second-name.txt', 'hard_link'],
    ]);
    const paths = (await changedPaths(gitDir, base, head)).map((c) => c.path).sort();
    expect(paths).toEqual(['.gitignore', 'link']);
  });

  it('carries names that are not UTF-8 and names with newlines', async () => {
    const base = await startingPoint(job());
    await fs.writeFile(Buffer.concat([Buffer.from(workspace + '/'), Buffer.from([0x6e, 0xff, 0x2e, 0x74])]), 'x\n');
    await write('line\nbreak.txt', 'y\n');
    const { commit: head } = await recordWorkspace(job());
    const paths = (await changedPaths(gitDir, base, head)).map((c) => c.path).sort();
    expect(paths).toEqual(['line\nbreak.txt', 'n\udcff.t']);
  });
});

describe('a workspace a run wrote, recorded by the service', () => {
  it('never looks into a repository nested in the workspace: its filters and hooks do not run', async () => {
    const marker = path.join(root, 'PWNED');
    const sub = path.join(workspace, 'sub');
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: sub, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
    await fs.mkdir(sub);
    git('init', '-q');
    await fs.writeFile(path.join(sub, 'f'), 'x\n');
    await fs.writeFile(path.join(sub, '.gitattributes'), '* filter=evil\n');
    git('config', 'filter.evil.clean', `touch ${marker}; cat`);
    git('config', 'core.fsmonitor', `touch ${marker}; true`);
    git('-c', 'user.name=a', '-c', 'user.email=a@a', 'add', '-A');
    git('-c', 'user.name=a', '-c', 'user.email=a@a', 'commit', '-qm', 'x');
    await fs.rm(marker, { force: true });
    await startingPoint(job());
    const { leftOut } = await recordWorkspace(job());
    expect(leftOut).toContainEqual({ path: 'sub', reason: 'nested_repository', size: 0 });
    // As a cloned repository with a submodule has it: the record holds the nested one as a gitlink.
    const subHead = git('rev-parse', 'HEAD').toString().trim();
    execFileSync('git', [`--git-dir=${gitDir}`, 'update-index', '--add', '--cacheinfo', `160000,${subHead},sub`]);
    // A change of the nested repository's files is what would make git ask it for its status.
    await fs.utimes(path.join(sub, 'f'), new Date('2001-01-01'), new Date('2001-01-01'));
    await recordWorkspace(job());
    await recordWorkspace(job());
    await expect(fs.access(marker)).rejects.toThrow();
  });

  it('records a folder replaced by a symbolic link as gone, and a new repository without commits as left out', async () => {
    await write('dir/a.txt', 'a\n');
    await write('keep.txt', 'k\n');
    const base = await startingPoint(job());
    await fs.rm(path.join(workspace, 'dir'), { recursive: true });
    await fs.symlink('/etc', path.join(workspace, 'dir'));
    await fs.mkdir(path.join(workspace, 'newproj'));
    execFileSync('git', ['init', '-q', path.join(workspace, 'newproj')]);
    await write('newproj/main.rs', 'fn main() {}\n');
    const { commit: head, leftOut } = await recordWorkspace(job());
    const changes = await changedPaths(gitDir, base, head);
    expect(changes.map((c) => [c.path, c.status]).sort()).toEqual([
      ['dir', 'added'],
      ['dir/a.txt', 'deleted'],
    ]);
    expect(leftOut.map((l) => l.reason)).toEqual(['nested_repository']);
  });

  it('is not held up by a FIFO the run left where git reads (.gitignore), nor by a lock a stopped record left', async () => {
    await write('a.txt', 'a\n');
    const base = await startingPoint(job());
    execFileSync('mkfifo', [path.join(workspace, '.gitignore')]);
    await fs.mkdir(path.join(workspace, 'sub'));
    execFileSync('mkfifo', [path.join(workspace, 'sub', '.gitattributes')]);
    await fs.writeFile(path.join(gitDir, 'index.lock'), '');
    await write('b.txt', 'b\n');
    const { commit } = await recordWorkspace({ ...job(), timeoutMs: 20_000 });
    expect((await changedPaths(gitDir, base, commit)).map((c) => c.path)).toEqual(['b.txt']);
    await expect(fs.lstat(path.join(workspace, '.gitignore'))).rejects.toThrow();
  });
});

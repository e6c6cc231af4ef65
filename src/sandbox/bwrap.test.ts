import { describe, expect, it } from 'vitest';
import { bwrapArgs, bwrapOptions, isMasked, type BwrapInput } from './bwrap.js';

const input: BwrapInput = {
  workspace: '/srv/cca/.cca/sessions/s1/workspace',
  home: '/srv/cca/.cca/sessions/s1/home',
  tmp: '/srv/cca/.cca/sessions/s1/tmp',
  hide: ['/srv/cca/.cca', '/home/cca', '/root'],
  command: '/opt/claude/claude',
  args: ['--output-format', 'stream-json'],
  env: { PATH: '/usr/bin:/bin', HOME: '/srv/cca/.cca/sessions/s1/home', ANTHROPIC_API_KEY: 'sk-model' },
};

describe('bwrapArgs', () => {
  it('builds the exact command line: namespaces, read-only host, masks, session binds, env, chdir, command', () => {
    expect(bwrapArgs(input)).toEqual([
      '--die-with-parent', '--new-session', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
      '--cap-drop', 'ALL',
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      '--tmpfs', '/tmp',
      '--tmpfs', '/srv/cca/.cca',
      '--tmpfs', '/home/cca',
      '--tmpfs', '/root',
      '--bind', input.workspace, input.workspace,
      '--bind', input.home, input.home,
      '--bind', input.tmp, input.tmp,
      '--clearenv',
      '--setenv', 'PATH', '/usr/bin:/bin',
      '--setenv', 'HOME', input.home,
      '--setenv', 'ANTHROPIC_API_KEY', 'sk-model',
      '--chdir', input.workspace,
      '--', '/opt/claude/claude', '--output-format', 'stream-json',
    ]); // prettier-ignore
  });

  it('shares the network: no --unshare-net or --unshare-all', () => {
    expect(bwrapArgs(input)).not.toContain('--unshare-net');
    expect(bwrapArgs(input)).not.toContain('--unshare-all');
  });

  it('with egress: a network of its own, the proxy socket bound in after the session and before the environment', () => {
    const egress = { socket: '/tmp/cca-egress-x/proxy.sock', socketInside: '/tmp/.cca-egress.sock' };
    const args = bwrapOptions({ ...input, egress });
    const net = args.indexOf('--unshare-net');
    expect(args.slice(net, net + 4)).toEqual(['--unshare-net', '--bind', egress.socket, egress.socketInside]);
    expect(args.filter((a) => a === '--unshare-net')).toHaveLength(1);
    expect(net).toBeGreaterThan(args.lastIndexOf(input.tmp));
    expect(net + 3).toBeLessThan(args.indexOf('--clearenv'));
    // Nothing else changes: the same command line with those four arguments taken out.
    expect([...args.slice(0, net), ...args.slice(net + 4)]).toEqual(bwrapOptions(input));
  });

  it('keeps the given capabilities right after dropping all, with a /tmp and session parents for other users, and nothing else changes', () => {
    const args = bwrapOptions({ ...input, keepCaps: ['CAP_SETUID', 'CAP_SETGID'] });
    const drop = args.indexOf('--cap-drop');
    expect(args.slice(drop, drop + 6)).toEqual(['--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID']);
    // The command drops to another user: the private /tmp is made writable for it (sticky, like the host's).
    const tmp = args.indexOf('/tmp');
    expect(args.slice(tmp - 3, tmp + 1)).toEqual(['--perms', '1777', '--tmpfs', '/tmp']);
    // The session's parents inside the masked data dir are made searchable (0711) before the binds.
    const dirs = args.flatMap((a, i) => (a === '--dir' ? [[args[i - 2], args[i - 1], args[i + 1]].join(' ')] : []));
    expect(dirs).toEqual(['--perms 0711 /srv/cca/.cca/sessions', '--perms 0711 /srv/cca/.cca/sessions/s1']);
    expect(args.indexOf('--dir')).toBeGreaterThan(args.lastIndexOf('--tmpfs'));
    expect(args.lastIndexOf('--dir')).toBeLessThan(args.indexOf('--bind'));
    const without = [...args.slice(0, drop + 2), ...args.slice(drop + 6)].filter(
      (a, i, all) => !['--perms', '--dir'].includes(a) && !['--perms', '--dir'].includes(all[i - 1] ?? ''),
    );
    expect(without).toEqual(bwrapOptions(input));
    expect(bwrapOptions({ ...input, keepCaps: [] })).toEqual(bwrapOptions(input));
  });

  it('makes the parents of files bound back into a mask readable (0755) for the other user, before binding them', () => {
    const expose = ['/tmp/checkout/node_modules/claude/cli', '/home/cca/bin/node'];
    const args = bwrapOptions({ ...input, expose, keepCaps: ['CAP_SETUID', 'CAP_SETGID'] });
    const dirs = args.flatMap((a, i) => (a === '--dir' ? [[args[i - 2], args[i - 1], args[i + 1]].join(' ')] : []));
    expect(dirs.slice(0, 5)).toEqual([
      '--perms 0755 /tmp/checkout',
      '--perms 0755 /tmp/checkout/node_modules',
      '--perms 0755 /tmp/checkout/node_modules/claude',
      '--perms 0755 /home/cca/bin',
      '--perms 0711 /srv/cca/.cca/sessions',
    ]);
    expect(args.lastIndexOf('--dir')).toBeLessThan(args.indexOf('--ro-bind', args.indexOf('/proc')));
    // Without another user, bwrap's own defaults do (root reaches everything).
    expect(bwrapOptions({ ...input, expose })).not.toContain('--dir');
  });

  it('passes the environment only through --setenv, after --clearenv', () => {
    const args = bwrapOptions(input);
    const clear = args.indexOf('--clearenv');
    expect(clear).toBeGreaterThan(-1);
    const setenvs = args.flatMap((a, i) => (a === '--setenv' ? [i] : []));
    expect(setenvs).toHaveLength(Object.keys(input.env).length);
    expect(setenvs.every((i) => i > clear)).toBe(true);
    expect(args).not.toContain('--setenv-fd');
  });

  it('masks the hidden directories before binding the session back, and the session is writable, not read-only', () => {
    const args = bwrapArgs(input);
    const lastMask = args.lastIndexOf('--tmpfs');
    const firstBind = args.indexOf('--bind');
    expect(lastMask).toBeLessThan(firstBind);
    expect(args.indexOf('--ro-bind')).toBeLessThan(args.indexOf('--tmpfs'));
    expect(args.slice(firstBind, firstBind + 9).filter((a) => a === '--bind')).toHaveLength(3);
  });

  it('keeps only the outermost of nested hidden directories, skips those in the private /tmp, and never hides /', () => {
    const args = bwrapOptions({ ...input, hide: ['/root/work/.cca', '/root', '/', '/tmp/cca-test-1', '/root/'] });
    const masks = args.flatMap((a, i) => (a === '--tmpfs' ? [args[i + 1]] : []));
    expect(masks).toEqual(['/tmp', '/root']);
  });

  it('binds exposed files back read-only after the masks and before the session', () => {
    const args = bwrapOptions({ ...input, hide: ['/root'], expose: ['/root/app/node_modules/claude'] });
    const expose = args.indexOf('/root/app/node_modules/claude');
    expect(args.slice(expose - 1, expose + 2)).toEqual(['--ro-bind', '/root/app/node_modules/claude', '/root/app/node_modules/claude']);
    expect(expose).toBeGreaterThan(args.lastIndexOf('--tmpfs'));
    expect(expose).toBeLessThan(args.indexOf('--bind'));
  });

  it('ends with the command after --, whatever the arguments look like', () => {
    const args = bwrapArgs({ ...input, args: ['--', '--bind', '/', '/'] });
    expect(args.slice(-6)).toEqual(['--', '/opt/claude/claude', '--', '--bind', '/', '/']);
  });

  it('knows which files are out of sight: hidden directories and the private /tmp, by whole path segments', () => {
    expect(isMasked('/root/app/claude', ['/root'])).toBe(true);
    expect(isMasked('/tmp/cca-image-1/app/claude', [])).toBe(true);
    expect(isMasked('/rootfs/claude', ['/root'])).toBe(false);
    expect(isMasked('/work/main/node_modules/claude', ['/work/main/.cca', '/root'])).toBe(false);
  });
});

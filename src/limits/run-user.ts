/**
 * The unprivileged user a run executes as when the service is root, and the session directories
 * handed to it. bwrap stays root (it must bind the session's directories out of a 0700 data dir)
 * and keeps only CAP_SETUID, CAP_SETGID and CAP_SETPCAP, which `setpriv` uses to become the user
 * and drop every capability, bounding set included, before Claude Code starts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface RunUser {
  uid: number;
  gid: number;
}

/** What bwrap keeps so that `setpriv` can switch users and clear the bounding set. */
export const SETPRIV_CAPS: readonly string[] = ['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP'];

/**
 * The command that runs the rest of its arguments as `user` with no capabilities, no supplementary
 * groups and no way to gain privileges (setuid binaries stop working).
 * @example setprivCommand('/usr/bin/setpriv', { uid: 65534, gid: 65534 }) // [..., '--no-new-privs', '--']
 */
export function setprivCommand(setpriv: string, user: RunUser): string[] {
  return [
    setpriv,
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
  ];
}

/**
 * Gives `dirs` to `user`: a directory whose top is not the user's yet (new, or made before runs had
 * a user of their own) is chowned with everything in it, links themselves and not their targets;
 * the top gets search permission for others (0711), so that bwrap can enter it.
 * @example await ownForRun([dirs.workspace, dirs.home, dirs.tmp], { uid: 65534, gid: 65534 })
 */
export async function ownForRun(dirs: string[], user: RunUser): Promise<void> {
  for (const dir of dirs) {
    const stat = await fs.lstat(dir);
    if (stat.uid !== user.uid || stat.gid !== user.gid) await chownTree(dir, user);
    // bwrap, root without CAP_DAC_OVERRIDE, must still enter the workspace (--chdir): search
    // permission for others on the top only. The data dir above stays 0700 on the host.
    if ((stat.mode & 0o011) !== 0o011) await fs.chmod(dir, (stat.mode & 0o7777) | 0o711);
  }
}

async function chownTree(dir: string, user: RunUser): Promise<void> {
  const pending = [dir];
  await fs.lchown(dir, user.uid, user.gid);
  while (pending.length > 0) {
    const current = pending.pop() as string;
    for (const entry of await fs.readdir(current, { withFileTypes: true })) {
      const file = path.join(current, entry.name);
      await fs.lchown(file, user.uid, user.gid);
      if (entry.isDirectory()) pending.push(file);
    }
  }
}

/**
 * Resident memory of a process and all its descendants, read from /proc (Linux only). The service
 * runs in this process, so "the tree" is the service plus every Claude Code child and whatever
 * those start (shells of the Bash tool, ...).
 */
import fs from 'node:fs';

/** Pids of `root` and all its descendants, found through the parent pid of every process. */
export function processTree(root: number = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(name);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

/** Sum of VmRSS over the tree, in bytes, and how many processes it counted. */
export function treeRss(root: number = process.pid): { bytes: number; processes: number } {
  let bytes = 0;
  let processes = 0;
  for (const pid of processTree(root)) {
    const kb = rssKb(pid);
    if (kb === undefined) continue;
    bytes += kb * 1024;
    processes++;
  }
  return { bytes, processes };
}

/** Samples `treeRss` every `intervalMs` until stopped; keeps the peak. */
export function startRssSampler(intervalMs = 100): { stop(): { peakBytes: number; peakProcesses: number; samples: number } } {
  let peakBytes = 0;
  let peakProcesses = 0;
  let samples = 0;
  const sample = () => {
    const { bytes, processes } = treeRss();
    samples++;
    if (bytes > peakBytes) peakBytes = bytes;
    if (processes > peakProcesses) peakProcesses = processes;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakBytes, peakProcesses, samples };
    },
  };
}

// The process name (field 2) is in parentheses and may hold spaces or ")": parse after the last ")".
function parentOf(pid: string): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined; // Exited between readdir and read.
  }
}

function rssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sessions that outlive the worker (issue 13): saving and restoring a session of N files (10,000
 * by default, 0.2-8 KB each, 100 a folder) through a real S3-compatible server on loopback
 * (s3rver), with 10 files changed between generations. The full copies (the first save uploads
 * every file, a fresh worker's restore fetches every file) are the baseline the incremental ones
 * (only the changed files go up, a worker one generation behind fetches only what differs) are
 * compared with. Rounds alternate: worker B changes 10 files and saves, worker A (one generation
 * behind) restores, and back.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logging/index.js';
import { DurableSessions, S3Objects, type Claim, type SessionTrees } from '../src/durable/index.js';
import { startS3Server } from '../test/support/s3-server.js';
import { round, summarize, type Summary } from './stats.js';

export interface SessionStateResult {
  files: number;
  bytes: number;
  changed_per_round: number;
  full_save_ms: number;
  full_restore_ms: number;
  incremental_save_ms: Summary | undefined;
  incremental_restore_ms: Summary | undefined;
  /** A worker whose copy is the saved generation: the claim finds nothing to restore. */
  current_claim_ms: Summary | undefined;
  save_ratio_p50: number | undefined;
  restore_ratio_p50: number | undefined;
}

const CHANGED = 10;

async function trees(root: string): Promise<SessionTrees> {
  const t = { root, workspace: path.join(root, 'workspace'), home: path.join(root, 'home'), git: path.join(root, 'git') };
  for (const d of [t.workspace, t.home, t.git]) await fs.mkdir(d, { recursive: true });
  return t;
}

/** Deterministic file contents of 200 B to 8 KB. */
function content(i: number, round: number): Buffer {
  const size = 200 + ((i * 7919) % 7800);
  return Buffer.alloc(size, `file ${i} round ${round}\n`);
}

/**
 * Runs the phase; `rounds` incremental save/restore pairs after the full ones.
 * @example const result = await measureSessionState({ files: 10_000, rounds: 5, progress: console.error });
 */
export async function measureSessionState(opts: {
  files: number;
  rounds: number;
  progress: (line: string) => void;
}): Promise<SessionStateResult> {
  const s3 = await startS3Server();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-bench-state-'));
  try {
    const objects = new S3Objects(s3.client({ maxAttempts: 3 }), s3.bucket, 'bench');
    const worker = (name: string) =>
      new DurableSessions({ objects, leaseMs: 60_000, maxEntries: 1_000_000, maxBytes: 2 ** 30, worker: name, logger: silentLogger() });
    const a = { durable: worker('A'), trees: await trees(path.join(work, 'a', 'sessions', 'bench')) };
    const b = { durable: worker('B'), trees: await trees(path.join(work, 'b', 'sessions', 'bench')) };
    let bytes = 0;
    for (let i = 0; i < opts.files; i++) {
      const dir = path.join(a.trees.workspace, 'src', `d${Math.floor(i / 100)}`);
      if (i % 100 === 0) await fs.mkdir(dir, { recursive: true });
      const body = content(i, 0);
      bytes += body.length;
      await fs.writeFile(path.join(dir, `f${i}.txt`), body);
    }
    const fields = (invocation: string) => ({
      owner: null,
      created_at: new Date().toISOString(),
      claude_session_id: null,
      last_event_seq: 0,
      invocation_id: invocation,
      checkpoint: false,
      repository: null,
    });
    const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const t0 = performance.now();
      const value = await work();
      return [value, performance.now() - t0];
    };
    const claimOf = async (w: typeof a, inv: string): Promise<Claim> => w.durable.claim('bench', inv);

    opts.progress(`session state: first save of ${opts.files} files (${round(bytes / 2 ** 20)} MiB)`);
    let claim = await claimOf(a, 'i0');
    const [, fullSave] = await timed(() => a.durable.save(claim, a.trees, fields('i0')));
    await claim.lease.release();
    claim = await claimOf(b, 'i1');
    const [restored, fullRestore] = await timed(() => b.durable.restore(claim, b.trees));
    if (restored.fetchedFiles !== opts.files) throw new Error(`the full restore fetched ${restored.fetchedFiles} files, not ${opts.files}`);
    await claim.lease.release();

    const saves: number[] = [];
    const restores: number[] = [];
    const current: number[] = [];
    let writer = b;
    let reader = a;
    for (let r = 1; r <= opts.rounds; r++) {
      // The writer (whose copy is the saved generation) changes 10 files and saves.
      let c = await claimOf(writer, `w${r}`);
      for (let k = 0; k < CHANGED; k++) {
        const i = (r * 997 + k * 631) % opts.files;
        await fs.writeFile(path.join(writer.trees.workspace, 'src', `d${Math.floor(i / 100)}`, `f${i}.txt`), content(i, r));
      }
      const [saved, saveMs] = await timed(() => writer.durable.save(c, writer.trees, fields(`w${r}`)));
      if (saved.uploadedFiles !== CHANGED) throw new Error(`round ${r} uploaded ${saved.uploadedFiles} files, not ${CHANGED}`);
      await c.lease.release();
      saves.push(saveMs);
      // The reader, one generation behind, catches up.
      c = await claimOf(reader, `r${r}`);
      const [got, restoreMs] = await timed(() => reader.durable.restore(c, reader.trees));
      if (got.fetchedFiles !== CHANGED) throw new Error(`round ${r} fetched ${got.fetchedFiles} files, not ${CHANGED}`);
      await c.lease.release();
      restores.push(restoreMs);
      // Claimed again where the copy is current: what a continued session pays when nothing moved.
      const [again, claimMs] = await timed(async () => {
        const cc = await claimOf(reader, `c${r}`);
        const needs = await reader.durable.needsRestore(cc, reader.trees);
        await cc.lease.release();
        return needs;
      });
      if (again) throw new Error(`round ${r}: a current copy was found behind`);
      current.push(claimMs);
      [writer, reader] = [reader, writer];
      opts.progress(`  round ${r}: save ${round(saveMs)} ms, restore ${round(restoreMs)} ms, current claim ${round(claimMs)} ms`);
    }
    const save = summarize(saves);
    const restore = summarize(restores);
    return {
      files: opts.files,
      bytes,
      changed_per_round: CHANGED,
      full_save_ms: round(fullSave),
      full_restore_ms: round(fullRestore),
      incremental_save_ms: save,
      incremental_restore_ms: restore,
      current_claim_ms: summarize(current),
      save_ratio_p50: save ? round(save.p50 / fullSave, 3) : undefined,
      restore_ratio_p50: restore ? round(restore.p50 / fullRestore, 3) : undefined,
    };
  } finally {
    await s3.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

export function formatSessionState(r: SessionStateResult): string {
  const fmt = (s: Summary | undefined) => (s ? `p50 ${round(s.p50)} ms, p95 ${round(s.p95)} ms` : 'n/a');
  return [
    `Session state (${r.files} files, ${round(r.bytes / 2 ** 20)} MiB, s3rver on loopback; ${r.changed_per_round} files changed per round):`,
    `  full copy: save ${r.full_save_ms} ms, restore on a fresh worker ${r.full_restore_ms} ms`,
    `  incremental: save ${fmt(r.incremental_save_ms)} (ratio ${r.save_ratio_p50 ?? 'n/a'}); restore one generation behind ${fmt(r.incremental_restore_ms)} (ratio ${r.restore_ratio_p50 ?? 'n/a'})`,
    `  a current copy (claim, nothing to restore): ${fmt(r.current_claim_ms)}`,
  ].join('\n');
}

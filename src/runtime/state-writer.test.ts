import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SessionStateRecord, StateMirror } from '../state/index.js';
import { StateWriter } from './state-writer.js';

/** A mirror whose writes land (or fail) only when the test says so, keeping the last state of each session. */
class GatedMirror implements StateMirror {
  readonly stored = new Map<string, SessionStateRecord>();
  readonly started: string[] = [];
  private readonly gates: { record: SessionStateRecord; land: () => void; fail: (err: Error) => void }[] = [];

  put(record: SessionStateRecord): Promise<void> {
    this.started.push(`${record.session_id}:${record.status}`);
    return new Promise((resolve, reject) => {
      this.gates.push({
        record,
        land: () => {
          this.stored.set(record.session_id, record);
          resolve();
        },
        fail: reject,
      });
    });
  }
  async get(sessionId: string): Promise<SessionStateRecord | undefined> {
    return this.stored.get(sessionId);
  }
  /** The pending write of `session`'s state `status`. */
  gate(session: string, status: string) {
    const gate = this.gates.find((g) => g.record.session_id === session && g.record.status === status);
    if (gate === undefined) throw new Error(`no pending write ${session}:${status} (started: ${this.started.join(', ')})`);
    return gate;
  }
}

function record(sessionId: string, status: SessionStateRecord['status']): SessionStateRecord {
  return {
    session_id: sessionId,
    owner: null,
    invocation_id: 'inv',
    status,
    prompt: 'p',
    updated_at: new Date().toISOString(),
    output: null,
  };
}

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), lines };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StateWriter', () => {
  it('never lets a slow first write land after a later state of the session', async () => {
    const mirror = new GatedMirror();
    const writer = new StateWriter(mirror, capturedLogger().logger);
    writer.write(record('s1', 'queued'));
    writer.write(record('s1', 'running'));
    writer.write(record('s1', 'succeeded'));
    await tick();
    // The later writes wait for the first: a late "queued" can never overwrite "succeeded".
    expect(mirror.started).toEqual(['s1:queued']);
    mirror.gate('s1', 'queued').land();
    await tick();
    mirror.gate('s1', 'running').land();
    await tick();
    mirror.gate('s1', 'succeeded').land();
    await writer.settled();
    expect(mirror.started).toEqual(['s1:queued', 's1:running', 's1:succeeded']);
    expect(mirror.stored.get('s1')?.status).toBe('succeeded');
  });

  it('logs a failed write and goes on with the next', async () => {
    const mirror = new GatedMirror();
    const { logger, lines } = capturedLogger();
    const writer = new StateWriter(mirror, logger);
    writer.write(record('s1', 'running'));
    writer.write(record('s1', 'failed'));
    await tick();
    mirror.gate('s1', 'running').fail(new Error('S3 is down'));
    await tick();
    mirror.gate('s1', 'failed').land();
    await writer.settled();
    expect(mirror.stored.get('s1')?.status).toBe('failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'could not mirror session state',
      session_id: 's1',
      status: 'running',
      err: { message: 'S3 is down' },
    });
  });

  it('does not make one session wait for another', async () => {
    const mirror = new GatedMirror();
    const writer = new StateWriter(mirror, capturedLogger().logger);
    writer.write(record('slow', 'running'));
    writer.write(record('fast', 'running'));
    await tick();
    expect(mirror.started).toEqual(['slow:running', 'fast:running']);
    mirror.gate('fast', 'running').land();
    mirror.gate('slow', 'running').land();
    await writer.settled();
  });

  it('settles only once every write asked for so far has landed or failed', async () => {
    const mirror = new GatedMirror();
    const writer = new StateWriter(mirror, capturedLogger().logger);
    await writer.settled(); // Nothing pending: at once.
    writer.write(record('a', 'queued'));
    writer.write(record('a', 'running'));
    writer.write(record('b', 'queued'));
    let settled = false;
    void writer.settled().then(() => (settled = true));
    await tick();
    mirror.gate('a', 'queued').land();
    mirror.gate('b', 'queued').fail(new Error('denied'));
    await tick();
    expect(settled).toBe(false); // a's "running" is still on its way.
    mirror.gate('a', 'running').land();
    await tick();
    expect(settled).toBe(true);
    expect(mirror.stored.get('a')?.status).toBe('running');
  });
});

/**
 * Model faults through the real service and the real Claude Code binary: each ends the run with
 * `success: false`, `stop_reason: 'error'`, an error a person can read, within a bounded time, and
 * the files written before the fault stored. Claude Code's retries are off
 * (`CCA_MODEL_MAX_RETRIES=0`, set by the test service) and one model request may take 2 s
 * (`CCA_MODEL_TIMEOUT_S=2`, passed to Claude Code as API_TIMEOUT_MS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, text, toolUse, type Reply } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

/** A bound, not a speed target: each case ends in a few seconds here; hanging would take minutes. */
const BOUND_MS = 30_000;

const FAULTS: Record<string, { reply: Reply; cause: RegExp }> = {
  'api-500': {
    reply: { error: { status: 500, type: 'api_error', message: 'Internal server error' } },
    cause: /500|api_error|Internal server error/i,
  },
  'overloaded-529': {
    reply: { error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } },
    cause: /529|overloaded/i,
  },
  'dropped-stream': {
    reply: { fault: 'drop', content: [text('I will never finish this sentence')] },
    // Through the broker: the connection it had to the model endpoint was dropped before an answer.
    cause: /Connection dropped|ECONNRESET|The model endpoint did not answer: socket hang up/,
  },
  'bad-json-stream': { reply: { fault: 'bad_json', content: [text('half')] }, cause: /JSON Parse error/ },
  'truncated-stream': { reply: { fault: 'truncated', content: [text('no message_stop follows')] }, cause: /Connection lost mid-response/ },
  // Without API_TIMEOUT_MS reaching Claude Code this would succeed after 8 s (its default waits 10 min).
  slow: { reply: { content: [text('too late')], delayMs: 8000 }, cause: /timed out.*API_TIMEOUT_MS above 2000/is },
};

let svc: TestService;

beforeAll(async () => {
  const scripts = Object.fromEntries(
    Object.entries(FAULTS).map(([name, { reply }]) => [
      name,
      // The first turn writes a file; every later turn fails, so a retry of Claude Code's own fails too.
      (_req: unknown, turn: number): Reply =>
        turn === 0 ? { content: [toolUse('Write', { file_path: `before-${name}.txt`, content: `${name}\n` })] } : reply,
    ]),
  );
  svc = await startTestService({ env: { CCA_MODEL_TIMEOUT_S: '2' }, responder: scenarios(scripts) });
});
afterAll(async () => svc?.close());

describe('model faults', () => {
  it.each(Object.keys(FAULTS))('%s: fails with a readable error in bounded time and keeps the files written before', async (name) => {
    const fault = FAULTS[name]!;
    const started = Date.now();
    const { status, body } = await svc.invoke({ prompt: `[[scenario:${name}]] write a file, then carry on` });
    const wallMs = Date.now() - started;
    expect(status).toBe(200);
    const out = body.output;
    expect(out).toMatchObject({ success: false, stop_reason: 'error' });
    expect(out.errors.join('\n')).toMatch(fault.cause);
    expect(wallMs).toBeLessThan(BOUND_MS);
    expect(out.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name)).toEqual([`before-${name}.txt`]);
    const download = await fetch(out.metadata.uploaded_files[0].download_url);
    expect(await download.text()).toBe(`${name}\n`);
  });
});

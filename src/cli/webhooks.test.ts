import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret, signatureHeader } from '../webhooks/index.js';
import { webhooksCommand } from './entries.js';
import type { CliIo } from './io.js';

const SECRET = generateWebhookSecret();
const NOW_S = 1_735_732_800;
const BODY = Buffer.from('{"type":"invocation.completed","timestamp":"2025-01-01T12:00:00.000Z","data":{"note":"caf\u00e9"}}');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-verify-'));
  fs.writeFileSync(path.join(dir, 'body.json'), BODY);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function verify(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: Buffer; nowS?: number } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await webhooksCommand(['verify', ...args], opts.env ?? {}, io, {
    clock: () => (opts.nowS ?? NOW_S + 30) * 1000,
    readStdin: async () => opts.stdin,
  });
  return { code, stdout, stderr };
}

const signature = signatureHeader([SECRET], 'msg_abc', NOW_S, BODY);
const flags = ['--id', 'msg_abc', '--timestamp', String(NOW_S), '--signature', signature];

describe('cca webhooks verify', () => {
  it('accepts a delivery signed with the secret, headers as flags or in a file, body from a file or stdin', async () => {
    expect(await verify(['--secret', SECRET, ...flags, '--body', path.join(dir, 'body.json')])).toMatchObject({
      code: 0,
      stdout: 'Valid: signed with this secret (webhook-id msg_abc, timestamp 30 s old).\n',
    });
    fs.writeFileSync(
      path.join(dir, 'headers.txt'),
      `HTTP/1.1 POST /hooks\r\nContent-Type: application/json\r\nWebhook-Id: msg_abc\r\nwebhook-timestamp: ${NOW_S}\r\nwebhook-signature: v1,bm9wZQ== ${signature}\r\n\r\n`,
    );
    expect((await verify(['--headers', path.join(dir, 'headers.txt')], { env: { CCA_WEBHOOK_SECRET: SECRET }, stdin: BODY })).code).toBe(0);
  });

  it('refuses another secret, a changed body or id, and a stale timestamp unless --any-age', async () => {
    const other = await verify(['--secret', generateWebhookSecret(), ...flags], { stdin: BODY });
    expect(other).toMatchObject({ code: 1, stderr: expect.stringMatching(/not valid: no signature in webhook-signature matches/) });
    expect((await verify(['--secret', SECRET, ...flags], { stdin: Buffer.concat([BODY, Buffer.from(' ')]) })).code).toBe(1);
    expect((await verify(['--secret', SECRET, ...flags.map((f) => (f === 'msg_abc' ? 'msg_abd' : f))], { stdin: BODY })).code).toBe(1);
    const stale = await verify(['--secret', SECRET, ...flags], { stdin: BODY, nowS: NOW_S + 3600 });
    expect(stale).toMatchObject({ code: 1, stderr: expect.stringMatching(/signature matches, but the timestamp is 3600 s old/) });
    expect((await verify(['--secret', SECRET, ...flags, '--any-age'], { stdin: BODY, nowS: NOW_S + 3600 })).code).toBe(0);
  });

  it('says what is missing', async () => {
    expect(await verify(flags, { stdin: BODY })).toMatchObject({ code: 2, stderr: expect.stringMatching(/give the secret/) });
    expect(await verify(['--secret', SECRET, '--id', 'x'], { stdin: BODY })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/missing --timestamp, --signature/),
    });
    expect(await verify(['--secret', SECRET, ...flags])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--body FILE, or pipe it in/),
    });
    expect(await verify(['--secret', SECRET, ...flags, '--body', path.join(dir, 'nope')])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--body .*nope: no such file/),
    });
  });
});

/**
 * The CLI as commander runs it: help for each command both ways, suggestions after a typo, the
 * exit statuses of usage mistakes, and the version. Called through runCli with captured streams.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/index.js';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

async function cca(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await runCli(argv, { env: {}, io, cwd: '/nonexistent' });
  return { code, stdout, stderr };
}

describe('cca help', () => {
  it('"cca help invoke" and "cca invoke --help" print the same help, naming invoke\'s flags', async () => {
    const viaHelp = await cca('help', 'invoke');
    const viaFlag = await cca('invoke', '--help');
    expect(viaHelp).toEqual(viaFlag);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toMatch(/^Usage: cca invoke "TASK" \[options\]/);
    for (const flag of [
      '--permission-mode MODE',
      '--allowed-tools LIST',
      '--max-turns N',
      '--max-budget USD',
      '--session ID',
      '--async',
      '--json',
      '--runtime-arn ARN',
    ]) {
      expect(viaHelp.stdout).toContain(flag);
    }
    expect(viaHelp.stderr).toBe('');
  });

  it('"cca", "cca help" and "cca --help" list every command of the table', async () => {
    const bare = await cca();
    expect(bare.code).toBe(0);
    expect(await cca('help')).toEqual(bare);
    expect(await cca('--help')).toEqual(bare);
    for (const def of COMMANDS) expect(bare.stdout).toMatch(new RegExp(`^  ${def.name} `, 'm'));
  });

  it("each command's help names each flag the command parses", async () => {
    for (const def of COMMANDS) {
      const { code, stdout } = await cca(def.name, '--help');
      expect(code).toBe(0);
      for (const option of def.options ?? []) expect(stdout).toContain(option.flags.replace(/<([^>]+)>/g, '$1'));
    }
    const create = await cca('keys', 'create', '--help');
    expect(create.stdout).toContain('--max-budget USD');
    expect((await cca('keys')).stdout).toMatch(/^Usage: cca keys <create \| list \| show \| update \| webhook-secret \| revoke>/);
  });
});

describe('usage mistakes', () => {
  it('an unknown flag exits 2 with a suggestion of the flag meant', async () => {
    const typo = await cca('invoke', 'x', '--permision-mode', 'manual');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("cca: Unknown option '--permision-mode' (Did you mean --permission-mode?)\n");
  });

  it('"cca invoke --promt x" exits 2 and shows how the task is given', async () => {
    const { code, stdout, stderr } = await cca('invoke', '--promt', 'x');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`cca: Unknown option '--promt'. Usage: cca invoke "TASK" [options] (see "cca invoke --help")\n`);
  });

  it('an unknown command exits 2 naming the nearest one; one with nothing near says where the list is', async () => {
    const near = await cca('invok', 'x');
    expect(near.code).toBe(2);
    expect(near.stderr).toBe('cca: Unknown command "invok". Run "cca help" for the list. (Did you mean invoke?)\n');
    const far = await cca('frobnicate');
    expect(far.code).toBe(2);
    expect(far.stderr).toBe('cca: Unknown command "frobnicate". Run "cca help" for the list.\n');
    const sub = await cca('keys', 'lst');
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/^cca: unknown keys command "lst" .*\(Did you mean list\?\)\n$/);
  });

  it('a missing flag value and a stray argument exit 2', async () => {
    expect(await cca('sessions', '--limit')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^cca: Option '--limit <N>' argument missing/),
    });
    expect(await cca('synth', 'extra')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^cca: Too many arguments for 'synth'/) });
  });
});

describe('cca version', () => {
  it('prints the version with --version, -v and version', async () => {
    for (const argv of [['--version'], ['-v'], ['version']]) {
      expect(await cca(...argv)).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    }
  });
});

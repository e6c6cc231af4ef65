/** The real process runner: no shell, stdin for secrets, 127 for a missing program, output streamed. */
import { describe, expect, it } from 'vitest';
import { spawnRunner, tail } from './process-runner.js';

describe('spawnRunner', () => {
  it('passes arguments as they are (no shell), feeds stdin, streams and collects output, returns the exit code', async () => {
    const seen: string[] = [];
    const script =
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(JSON.stringify([process.argv[1],s]));console.error("warn");process.exit(3)})';
    const result = await spawnRunner(process.execPath, ['-e', script, '$(id) `id` "; rm -rf ~'], {
      input: 'ecr-password',
      onOutput: (t) => seen.push(t),
    });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual(['$(id) `id` "; rm -rf ~', 'ecr-password']);
    expect(result.stderr).toBe('warn\n');
    expect(seen.join('')).toContain('warn');
    expect(tail(result)).toContain('warn');
  });

  it('answers 127 with "command not found" for a program that is not installed', async () => {
    const result = await spawnRunner('cca-no-such-program', ['--version']);
    expect(result).toMatchObject({ code: 127, stderr: 'cca-no-such-program: command not found\n' });
  });
});

/**
 * Waits for a `cca serve` / `cca runtime` process to print where it listens. `until` is the text
 * the banner must have reached (serve prints its first API key before "API reference").
 */
import type { ChildProcess } from 'node:child_process';

/** The URL and the banner so far; rejects, with what the process printed, if it exits first. */
export function listening(child: ChildProcess, until: RegExp = /\n/): Promise<{ url: string; banner: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1] && until.test(out.slice(match.index + match[0].length))) resolve({ url: match[1], banner: out });
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`cca exited with ${code} before listening:\n${out}\n${err}`)));
  });
}

/** What `cca serve` prints last in its banner. */
export const SERVE_BANNER_END = /API reference/;

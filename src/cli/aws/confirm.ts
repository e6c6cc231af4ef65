/** Asking the person at the terminal before something that cannot be undone. */
import readline from 'node:readline/promises';

/**
 * The real prompt: one line from stdin when it is a terminal; undefined otherwise (a script or a
 * pipe cannot be asked, it must say --yes).
 */
export async function readLineFromTerminal(question: string): Promise<string | undefined> {
  if (process.stdin.isTTY !== true) return undefined;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/** "y" or "yes", any case. */
export function isYes(answer: string | undefined): boolean {
  return answer !== undefined && /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * The README's configuration table names every flag of `cca serve` and `cca runtime` with its
 * environment variable, as `--help` prints them: a flag added to the commands without a row fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/index.js';

const README = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README configuration table', () => {
  it('has a row for every flag of cca serve and cca runtime, with the variable --help names', () => {
    const missing: string[] = [];
    for (const name of ['serve', 'runtime']) {
      const command = COMMANDS.find((c) => c.name === name);
      expect(command, name).toBeDefined();
      for (const option of command?.options ?? []) {
        const flag = /--[\w-]+/.exec(option.flags)?.[0] as string;
        const env = option.env === undefined ? '' : ` \`${option.env}`;
        if (!README.includes(`| \`${flag}\` |${env}`)) missing.push(`${name} ${flag}${env}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

/**
 * Messages tell people what to do: "upload them with POST /sessions/{session_id}/files", "cca keys
 * update KEY_ID --max-queued N". This holds every such way named anywhere in src/ to one that
 * exists: each `METHOD /path` to a route the service declares (or a peer's known route), each
 * `cca COMMAND [SUB] --flag` to a command and a flag of the CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceApp } from '../../test/support/service-document.js';
import { COMMANDS } from '../cli/commands/index.js';
import type { CommandDef } from '../cli/commands/define.js';
import { LARGE_INPUTS } from '../http/invocation-request.js';

const SRC = path.resolve(import.meta.dirname, '..');

/** Routes of other services our messages name (the model API, GitHub), and pages and series outside the document. */
const PEERS = [
  'POST /v1/messages',
  'GET /v1/files',
  'POST /repos/{owner}/{repo}/pulls',
  'GET /repos/{owner}/{repo}',
  'GET /metrics',
  'GET /assets/',
  'GET /', // the web console (src/web/console-page.ts), a page and not an API route
];

/** Mistyped on purpose: the example of a typo the CLI corrects (cli/failure.ts). */
const TYPOS = ['invoke --promt'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [p] : [];
  });
}

function declared(): Set<string> {
  const routes = new Set<string>(PEERS);
  for (const mode of ['serve', 'runtime'] as const) {
    const doc = serviceApp(mode).app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    for (const [p, item] of Object.entries(doc.paths ?? {})) for (const m of Object.keys(item ?? {})) routes.add(`${m.toUpperCase()} ${p}`);
  }
  return routes;
}

/** `keys update` → its flags; `keys` → its subcommands' names. */
function commandTable(): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  const walk = (defs: CommandDef[], prefix: string) => {
    for (const d of defs) {
      const name = `${prefix}${d.name}`;
      table.set(name, new Set((d.options ?? []).flatMap((o) => o.flags.match(/--?[a-zA-Z][\w-]*/g) ?? [])));
      walk(d.subcommands ?? [], `${name} `);
    }
  };
  walk(COMMANDS, '');
  return table;
}

describe('ways named in messages', () => {
  it('every "METHOD /path" in src/ is a route the service declares', () => {
    const routes = declared();
    const named = new Set<string>();
    for (const file of sources(SRC)) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/[\w/{}.-]*)/g)) {
        // `{id}` is the short spelling of `{session_id}` in a few messages; a trailing dot ends a sentence.
        named.add(`${m[1]} ${(m[2] as string).replace(/\.$/, '').replace('/sessions/{id}', '/sessions/{session_id}')}`);
      }
    }
    const unknown = [...named].filter((r) => !routes.has(r) && !(r === 'GET /sessions/' || r.startsWith('GET /files/')));
    expect(unknown).toEqual([]);
  });

  it('every "cca COMMAND [SUB] --flag" in src/ is a command of the CLI with that flag', () => {
    const table = commandTable();
    const wrong: string[] = [];
    for (const file of sources(SRC)) {
      for (const m of fs
        .readFileSync(file, 'utf8')
        .matchAll(/\bcca ([a-z][a-z-]*)((?: [a-z][a-z-]*)?)((?: [A-Z_.]+| --?[a-z][\w-]*(?: [A-Z_]+)?)*)/g)) {
        const top = m[1] as string;
        if (!table.has(top)) continue; // "cca serve writes ...", "cca egress: ..." are prose, not commands
        const sub = (m[2] as string).trim();
        const command = table.has(`${top} ${sub}`) ? `${top} ${sub}` : top;
        for (const flag of (m[3] as string).match(/--?[a-z][\w-]*/g) ?? []) {
          if (flag === '--help' || table.get(command)?.has(flag) || TYPOS.includes(`${command} ${flag}`)) continue;
          wrong.push(`${path.relative(SRC, file)}: cca ${command} ${flag}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a prompt too long for the limit is told the ways that exist to pass large inputs', () => {
    expect(LARGE_INPUTS).toContain('POST /sessions/{session_id}/files');
    expect(LARGE_INPUTS).toContain('cca invoke --file PATH or --dir DIR');
    expect(LARGE_INPUTS).toContain('input_s3_prefix');
    expect([...(commandTable().get('invoke') ?? [])]).toEqual(expect.arrayContaining(['--file', '--dir']));
  });
});

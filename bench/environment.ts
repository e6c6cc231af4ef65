/** The report header: when, on what, with which versions, by which command. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Header {
  date: string;
  machine: { cpu: string; cores: number; memory_gb: number; os: string };
  node: string;
  claude_code_version: string;
  agent_sdk_version: string;
  command: string;
}

/** Collects the header; `argv` is the benchmark's own arguments. */
export function describeEnvironment(argv: string[]): Header {
  const sdk = readSdkPackage();
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores: os.cpus().length,
      memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    node: process.version,
    // The SDK pins the Claude Code build it ships; older SDKs lack the field.
    claude_code_version: sdk.claudeCodeVersion ?? `unknown (agent SDK ${sdk.version ?? '?'})`,
    agent_sdk_version: sdk.version ?? 'unknown',
    command: commandLine(argv),
  };
}

// The SDK's `exports` hide package.json from require.resolve: find it beside the resolved entry.
function readSdkPackage(): { version?: string; claudeCodeVersion?: string } {
  try {
    const entry = fileURLToPath(import.meta.resolve('@anthropic-ai/claude-agent-sdk'));
    return JSON.parse(fs.readFileSync(path.join(path.dirname(entry), 'package.json'), 'utf8')) as {
      version?: string;
      claudeCodeVersion?: string;
    };
  } catch {
    return {};
  }
}

// npm sets npm_lifecycle_event when the benchmark runs as `npm run bench`: show that form then.
function commandLine(argv: string[]): string {
  const args = argv.map((a) => (/^[\w.,=/:-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  const script = path.relative(process.cwd(), process.argv[1] ?? 'bench/run.ts');
  return ['node', ...process.execArgv, script, args].filter((s) => s !== '').join(' ');
}

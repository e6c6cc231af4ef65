/** The benchmark's results as one JSON-able object and as the text report printed to the terminal. */
import type { ConcurrencyResult } from './concurrency.js';
import type { Header } from './environment.js';
import type { GatewayResult } from './gateway.js';
import type { OverheadResult, Side } from './overhead.js';
import { formatRepository, type RepositoryResult } from './repository.js';
import { formatSessionState, type SessionStateResult } from './session-state.js';

export interface BenchReport {
  header: Header;
  /** Absent when the phase was left out (--only). */
  overhead?: OverheadResult | undefined;
  concurrency: ConcurrencyResult[];
  gateway?: GatewayResult;
  repository?: RepositoryResult;
  session_state?: SessionStateResult;
  notes: string[];
}

/** What a reader must know to read the figures right. */
export const NOTES = [
  'The service runs in-process here (test/support/service.ts): the "service process" is the benchmark process, which also hosts the scripted model server and the HTTP client.',
  'The model is a scripted local server (no network, no model latency): the figures are the cost of Claude Code and of the service around it, not of a real model.',
  'Latency is wall-clock at the caller: bare = query() call to its result message; service = POST /invocations to the parsed response (HTTP, session, workspace snapshots, file storage, SQLite). Statistics cover successful runs; percentiles interpolate between ranks.',
  'Bare runs get a fresh cwd, HOME and TMPDIR per run and the Claude Code switches the service sets (no non-essential traffic, no retries), so both sides make the same model calls.',
  'inv/s = successful invocations / wall time of the phase.',
  'Memory is VmRSS summed over the benchmark process and all its descendants, sampled every 100 ms, minus the idle baseline taken just before the phase. RSS counts pages shared between Claude Code processes once per process, so MB/session is an upper bound.',
];

/** The text report. */
export function formatReport(r: BenchReport): string {
  const h = r.header;
  const o = r.overhead;
  const overheadRows = !o
    ? []
    : [
        sideRow('bare query()', o.bare, o.runs),
        sideRow('before isolation', o.before, o.runs),
        sideRow('POST /invocations', o.service, o.runs),
        ['service / bare', ...ratioCells(o.ratio), '', ''],
        ['service / before isolation', ...ratioCells(o.isolation_ratio), '', ''],
        sideRow('  + allowed_domains: []', o.allowlist, o.runs),
        ['allowlist / service', ...ratioCells(o.allowlist_ratio), '', ''],
      ];
  const concurrencyRows = r.concurrency.map((c) => [
    String(c.concurrency),
    String(c.invocations),
    String(c.errors),
    c.wall_s.toFixed(1),
    c.throughput_per_s.toFixed(2),
    num(c.latency_ms?.p50),
    num(c.latency_ms?.p95),
    num(c.memory.baseline_mb),
    num(c.memory.peak_mb - c.memory.baseline_mb),
    num(c.memory.peak_per_session_mb),
  ]);
  return [
    'claude-code-agent benchmark',
    `  date         ${h.date}`,
    `  machine      ${h.machine.cpu}, ${h.machine.cores} cores, ${h.machine.memory_gb} GB RAM (${h.machine.os})`,
    `  node         ${h.node}`,
    `  claude code  ${h.claude_code_version} (agent SDK ${h.agent_sdk_version})`,
    `  command      ${h.command}`,
    '',
    ...(o
      ? [
          `1. Overhead of the service vs bare SDK (${o.runs} runs each, interleaved, after ${o.warmup} warm-up ${o.warmup === 1 ? 'run' : 'runs'} each)`,
          ...table(['', 'p50 ms', 'p95 ms', 'mean ms', 'errors'], overheadRows),
          ...errorLines(o.first_errors),
          '',
        ]
      : []),
    '2. Concurrency (POST /invocations, a new session per invocation, C in flight)',
    ...table(['C', 'invocations', 'errors', 'wall s', 'inv/s', 'p50 ms', 'p95 ms', 'idle MB', 'peak +MB', 'MB/session'], concurrencyRows),
    '   idle MB: RSS of the process tree at rest; peak +MB: its peak above that; MB/session: peak +MB / C.',
    ...errorLines(r.concurrency.flatMap((c) => c.first_errors)),
    '',
    ...(r.gateway ? gatewayLines(r.gateway) : []),
    ...(r.repository ? [`4. ${formatRepository(r.repository)}`, ''] : []),
    ...(r.session_state ? [`5. ${formatSessionState(r.session_state)}`, ''] : []),
    'Notes',
    ...r.notes.flatMap((n) => wrap(n, 96).map((line, i) => `  ${i === 0 ? '-' : ' '} ${line}`)),
  ].join('\n');
}

function ratioCells(r: { p50: number; p95: number } | undefined): string[] {
  return r ? [`${r.p50.toFixed(2)}x`, `${r.p95.toFixed(2)}x`] : ['n/a', 'n/a'];
}

function gatewayLines(g: GatewayResult): string[] {
  return [
    `3. Public API: authenticated GET /sessions/{id} against \`cca serve\` in its own process (autocannon, ${g.connections} connections, ${g.duration_s} s)`,
    ...table(
      ['requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'],
      [
        [
          String(g.requests),
          String(g.throughput_per_s),
          num(g.latency_ms.p50),
          num(g.latency_ms.p90),
          num(g.latency_ms.p99),
          num(g.latency_ms.max),
          String(g.non_2xx),
          String(g.errors),
        ],
      ],
    ),
    '   Each request: key lookup and hash comparison, token bucket and daily quota in one SQLite write transaction, session read.',
    '',
  ];
}

function sideRow(label: string, s: Side, runs: number): string[] {
  const l = s.latency_ms;
  return [label, num(l?.p50), num(l?.p95), num(l?.mean), `${s.errors}/${runs}`];
}

/** Columns as wide as their widest cell; the first left-aligned (labels), the rest right-aligned. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    `   ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  return current === '' ? lines : [...lines, current];
}

function errorLines(errors: string[]): string[] {
  return errors.length === 0 ? [] : ['   first errors:', ...errors.map((e) => `     ${e}`)];
}

const num = (v: number | undefined) => (v === undefined ? 'n/a' : String(Math.round(v)));

/** The benchmark's results as one JSON-able object and as the text report printed to the terminal. */
import type { ConcurrencyResult } from './concurrency.js';
import type { Header } from './environment.js';
import type { GatewayResult } from './gateway.js';
import type { OverheadResult, Side } from './overhead.js';
import type { WarmMemoryResult } from './warm.js';
import { formatRepository, type RepositoryResult } from './repository.js';
import { formatSessionState, type SessionStateResult } from './session-state.js';

export interface BenchReport {
  header: Header;
  /** Absent when the phase was left out (--only). */
  overhead?: OverheadResult | undefined;
  /** The service cold (no warm pool). */
  concurrency: ConcurrencyResult[];
  /** The service with a warm pool, the same C values; absent when not measured. */
  concurrency_warm?: ConcurrencyResult[];
  /** warm / cold inv/s per C. */
  concurrency_ratio?: { concurrency: number; throughput: number | undefined }[];
  /** Idle memory per warm agent (phase "memory"). */
  warm_memory?: WarmMemoryResult;
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
  "Warm pool: a second in-process service with CCA_WARM_POOL=auto. Sequential (phase 1): before each warm sample the benchmark waits, unmeasured, for a ready agent of the task's shape, and after it for the refill to end (the sequential caller gave the pool time to refill). Concurrency: one unmeasured burst of C first (the pool learns the demand), then a wait until the pool is idle and full; its idle MB includes the ready agents, and refills during the burst count in its latency, CPU and peak.",
  'Idle memory per warm agent: VmRSS and Pss (smaps_rollup) summed over the process tree of each ready agent (bwrap, setpriv, the bridge, Claude Code), mean over agents. Pss divides shared pages among the processes sharing them, so it is what one more agent costs more closely than RSS.',
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
        ...(o.warm
          ? [
              sideRow('warm pool', o.warm, o.runs),
              ['warm / bare', ...ratioCells(o.warm_ratio), '', ''],
              ['warm / service', ...ratioCells(o.warm_service_ratio), '', ''],
            ]
          : []),
      ];
  const warmByC = new Map((r.concurrency_warm ?? []).map((c) => [c.concurrency, c]));
  const concurrencyRows = r.concurrency
    .flatMap((c) => [c, ...(warmByC.has(c.concurrency) ? [warmByC.get(c.concurrency) as ConcurrencyResult] : [])])
    .map((c) => [
      String(c.concurrency),
      c.side ?? 'cold',
      String(c.invocations),
      String(c.errors),
      c.wall_s.toFixed(1),
      c.throughput_per_s.toFixed(2),
      num(c.latency_ms?.p50),
      num(c.latency_ms?.p95),
      num(c.memory.baseline_mb),
      num(c.memory.peak_mb - c.memory.baseline_mb),
      num(c.memory.peak_per_session_mb),
      c.side === 'warm' ? pct(c.hit_rate) : '',
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
          ...(o.warm
            ? [
                `   warm pool hits: ${o.warm.hits}/${o.runs} (${pct(o.warm.hit_rate)})${o.warm.not_ready > 0 ? `; ${o.warm.not_ready} samples found no ready agent within 30 s` : ''}`,
              ]
            : []),
          ...errorLines(o.first_errors),
          '',
        ]
      : []),
    '2. Concurrency (POST /invocations, a new session per invocation, C in flight; cold: no warm pool, warm: CCA_WARM_POOL=auto, primed)',
    ...table(
      ['C', 'side', 'invocations', 'errors', 'wall s', 'inv/s', 'p50 ms', 'p95 ms', 'idle MB', 'peak +MB', 'MB/session', 'hits'],
      concurrencyRows,
    ),
    '   idle MB: RSS of the process tree at rest (warm: with its ready agents); peak +MB: its peak above that; MB/session: peak +MB / C.',
    ...(r.concurrency_ratio
      ? [
          '',
          '   warm / cold throughput',
          ...table(
            ['C', 'inv/s warm / cold'],
            r.concurrency_ratio.map((x) => [String(x.concurrency), x.throughput === undefined ? 'n/a' : `${x.throughput.toFixed(2)}x`]),
          ),
        ]
      : []),
    ...errorLines([...r.concurrency, ...(r.concurrency_warm ?? [])].flatMap((c) => c.first_errors)),
    '',
    ...(r.warm_memory ? warmMemoryLines(r.warm_memory) : []),
    ...(r.gateway ? gatewayLines(r.gateway) : []),
    ...(r.repository ? [`4. ${formatRepository(r.repository)}`, ''] : []),
    ...(r.session_state ? [`5. ${formatSessionState(r.session_state)}`, ''] : []),
    'Notes',
    ...r.notes.flatMap((n) => wrap(n, 96).map((line, i) => `  ${i === 0 ? '-' : ' '} ${line}`)),
  ].join('\n');
}

function warmMemoryLines(m: WarmMemoryResult): string[] {
  return [
    `2b. Idle memory per warm agent (${m.agents} ready agents, pool max ${m.max}${m.full ? ', full' : ', NOT full'}; sum over each agent's process tree)`,
    ...table(
      ['', 'processes', 'RSS MB', 'PSS MB'],
      [
        ['per agent', m.processes.toFixed(1), num(m.rss_mb), num(m.pss_mb)],
        ...m.by_process.map((p) => [`  ${p.name}`, p.count.toFixed(1), num(p.rss_mb), num(p.pss_mb)]),
      ],
    ),
    `    CPU while idle: ${m.idle_cpu_ms_per_s.toFixed(1)} ms per second per agent (its tree, over 5 s).`,
    '',
  ];
}

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${Math.round(v * 100)}%`);

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

/** The benchmark's command-line flags. */
import { parseArgs } from 'node:util';

export interface BenchArgs {
  /** Measured runs of each side in the overhead comparison. */
  runs: number;
  /** Warm-up runs of each side, not measured. */
  warmup: number;
  /** Sessions in flight for each concurrency phase. */
  concurrency: number[];
  /** Seconds of load on GET /sessions/{id} (0 skips the phase). */
  gatewayDurationS: number;
  /** Files of the generated repository of the large-workspace phase (0 skips it). */
  repoFiles: number;
  /** Files of the session of the session-state phase (0 skips it). */
  stateFiles: number;
  /** Only these phases (default: all). */
  only: string[] | undefined;
}

export const USAGE = `Usage: npm run bench -- [--runs N] [--warmup N] [--concurrency 1,4,8] [--gateway-duration S]
  --runs N            measured runs of bare query(), the service before isolation, POST /invocations,
                      with an allowlist and with a warm pool, each (default 20)
  --warmup N          unmeasured warm-up runs of each before that (default 2)
  --concurrency LIST  sessions in flight, one phase per value, cold and warm (default 1,4,8)
  --gateway-duration S  seconds of authenticated GET /sessions/{id} load (default 10; 0 skips)
  --repo-files N      files of the generated repository of the large-workspace phase (default 100000; 0 skips)
  --state-files N     files of the session saved and restored by the session-state phase (default 10000; 0 skips)
  --only LIST         run only these phases: overhead,concurrency,memory,gateway,repository,session-state
                      (memory: the RSS and PSS of an idle warm agent)`;

/** Parses argv (without node and the script); throws with the usage on anything invalid. */
export function parseBenchArgs(argv: string[]): BenchArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '1,4,8' },
      'gateway-duration': { type: 'string', default: '10' },
      'repo-files': { type: 'string', default: '100000' },
      'state-files': { type: 'string', default: '10000' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    runs: count('--runs', values.runs, 1),
    warmup: count('--warmup', values.warmup, 0),
    concurrency: values.concurrency.split(',').map((c) => count('--concurrency', c.trim(), 1)),
    gatewayDurationS: count('--gateway-duration', values['gateway-duration'], 0),
    repoFiles: count('--repo-files', values['repo-files'], 0),
    stateFiles: count('--state-files', values['state-files'], 0),
    only: values.only === undefined ? undefined : values.only.split(',').map((p) => p.trim()),
  };
}

function count(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got "${raw}".\n${USAGE}`);
  return n;
}

/**
 * The warm pool's settings (CCA_WARM_POOL, CCA_WARM_IDLE_S, CCA_WARM_MAX_AGE_S): how many Claude
 * Code processes may wait started for new sessions, and when they are let go.
 */
import { ConfigError } from './errors.js';

/** What the pool may keep. */
export interface WarmPoolConfig {
  /** Most warm agents at once, all shapes together; 0: off. */
  max: number;
  /** `auto`: `max` was sized from the machine. */
  auto: boolean;
  /** A shape of request nobody sent for this long keeps no warm agent (the default shape keeps one). */
  idleMs: number;
  /** A warm agent waiting this long is replaced. */
  maxAgeMs: number;
  /** Warm agents starting at once. */
  maxStarting: number;
}

/** What an idle warm agent holds: Claude Code (~230-260 MB parked) and the bridge's Node. */
const AGENT_BYTES = 300 * 2 ** 20;

/**
 * The most warm agents the machine affords: two per core (each costs ~0.4 CPU s to start, and only
 * runs use them), at most a tenth of memory, never more than the run slots.
 * @example defaultWarmMax(2, 24 * 2 ** 30, 6) // 4
 */
export function defaultWarmMax(cpus: number, totalMemBytes: number, maxRuns: number): number {
  return Math.max(0, Math.min(maxRuns, Math.floor(cpus * 2), Math.floor((totalMemBytes * 0.1) / AGENT_BYTES)));
}

/**
 * Parses the pool's settings; `auto` (the default under `cca serve`) sizes it from the machine,
 * `off` (the default under `cca runtime`, where AgentCore names every session) turns it off.
 * @example parseWarmPool({ pool: '2' }, 'serve', { cpus: 2, totalMemBytes: 8 * 2 ** 30 }, 6).max // 2
 */
export function parseWarmPool(
  raw: { pool?: string | undefined; idleS?: string | undefined; maxAgeS?: string | undefined },
  mode: 'serve' | 'runtime',
  machine: { cpus: number; totalMemBytes: number },
  maxRuns: number,
): WarmPoolConfig {
  const value = (raw.pool ?? (mode === 'serve' ? 'auto' : 'off')).toLowerCase();
  let max: number;
  if (value === 'auto') max = defaultWarmMax(machine.cpus, machine.totalMemBytes, maxRuns);
  else if (value === 'off') max = 0;
  else if (/^\d+$/.test(value) && Number(value) <= 1000) max = Number(value);
  else {
    throw new ConfigError(
      `--warm-pool / CCA_WARM_POOL must be "auto" (sized from the machine), "off", or the most warm agents to keep (0-1000); got "${raw.pool}".`,
    );
  }
  return {
    max,
    auto: value === 'auto',
    idleMs: seconds('--warm-idle / CCA_WARM_IDLE_S', raw.idleS, 300, 1) * 1000,
    // Under ten seconds an agent would be replaced about as often as it takes to start one.
    maxAgeMs: seconds('CCA_WARM_MAX_AGE_S', raw.maxAgeS, 900, 10) * 1000,
    maxStarting: Math.max(1, Math.min(4, Math.floor(machine.cpus / 2))),
  };
}

function seconds(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > 86_400) {
    throw new ConfigError(`${name} must be a number of seconds from ${min} to 86400; got "${raw}".`);
  }
  return value;
}

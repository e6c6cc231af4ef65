/**
 * Per-run resource limits: memory, processes and CPU through a cgroup per run (v2 or v1), disk
 * through RLIMIT_FSIZE and a polling watch, and an unprivileged user when the service is root.
 */
export { planCgroups, type CgroupPlan } from './cgroup-plan.js';
export { Cgroups } from './cgroups.js';
export { describeLimits, detectLimits, limitsSummary, type DetectLimitsOptions, type LimitsSupport } from './detect-limits.js';
export { diskUsage, type DiskUsage } from './disk-usage.js';
export { parseKeyedCounts } from './keyed-counts.js';
export { diskLimitHit, limitFromCounts, type CgroupCounts, type LimitHit } from './limit-hit.js';
export { RunCgroup, type RunCgroupDirs } from './run-cgroup.js';
export { openRunLimits, type Confinement, type RunLimits, type RunLimitsOptions } from './run-limits.js';
export { ownForRun, setprivCommand, SETPRIV_CAPS, type RunUser } from './run-user.js';

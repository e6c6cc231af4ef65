/**
 * The per-run sandbox: Claude Code and every command it runs inside bubblewrap, with a read-only
 * host, its own PID namespace, the service's data and home hidden, and only the session writable.
 */
export { bwrapArgs, bwrapOptions, ISOLATION_ARGS, type BwrapInput } from './bwrap.js';
export { bwrapSpawner, type BwrapSpawnerOptions, type SpawnConfinement } from './spawn.js';
export { detectSandbox, SANDBOX_UNAVAILABLE_HINT, type DetectOptions, type SandboxStatus } from './detect.js';
export { hiddenPaths, sandboxForRun, type SandboxEgress, type SandboxRun } from './plan.js';

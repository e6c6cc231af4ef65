/** The composition root: builds the service from its Config and serves it. */
export { buildRuntime, VERSION, type RuntimeOptions } from './build.js';
export { startRuntime, type RuntimeHandle } from './start.js';

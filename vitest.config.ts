import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end tests start the real Claude Code binary (~0.35 s CPU, ~200 MB each):
    // on a 2-core machine more than two files at once only adds contention.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // On Node.js 20 the AWS SDK warns once per process (every worker, every spawned cca): the global
    // setup prints the service's own one-line warning once instead; the spawned processes inherit this.
    globalSetup: ['test/support/global-setup.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

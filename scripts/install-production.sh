#!/bin/sh
# Installs the production dependencies of the checkout in the current directory: the Dockerfile's
# `deps` stage runs this, and test/e2e/container.test.ts runs it on the host to prove the image's
# steps. Extra arguments go to `npm ci` (the test adds --prefer-offline).
set -eu

# --omit=dev: no compiler, test runner or type packages at run time.
# --include=optional: the Claude Code binary is an optional dependency of the Agent SDK (one
#   package per platform; npm picks the one for this os, cpu and libc). An inherited
#   omit=optional (npmrc, NPM_CONFIG_OMIT) would drop it silently and every run would fail.
# --ignore-scripts: the root package's "prepare" runs `npm run build`, which needs typescript,
#   a dev dependency; dist/ comes from the build stage instead.
npm ci --omit=dev --include=optional --ignore-scripts --no-audit --no-fund "$@"

# The dependencies' own install scripts (better-sqlite3's native binding: a prebuilt download,
# or a compile when none matches). `npm rebuild` never runs the root package's scripts.
npm rebuild

# Fail the build here rather than at the first request.
node -e '
const fs = require("node:fs");
new (require("better-sqlite3"))(":memory:").close();
const bin = `node_modules/@anthropic-ai/claude-agent-sdk-linux-${process.arch}/claude`;
try {
  fs.accessSync(bin, fs.constants.X_OK);
} catch {
  console.error(`install-production: the Claude Code binary ${bin} is missing; were optional dependencies omitted?`);
  process.exit(1);
}
'

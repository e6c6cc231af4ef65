# syntax=docker/dockerfile:1
#
# claude-code-agent as a container: `cca runtime` serves the Amazon Bedrock AgentCore Runtime
# contract (POST /invocations, GET /ping) on 0.0.0.0:8080 with the real Claude Code binary.
#
#   docker buildx build --platform linux/arm64,linux/amd64 -t claude-code-agent .
#   docker run --rm -p 8080:8080 -e ANTHROPIC_API_KEY=sk-ant-... claude-code-agent
#   docker run --rm -p 8080:8080 -e CLAUDE_CODE_USE_BEDROCK=1 -e AWS_REGION=us-east-1 \
#     -e CCA_STORAGE=s3://my-bucket -e CCA_MODEL=... claude-code-agent
#
# Bucket, region and model are run-time settings (CCA_STORAGE, AWS_REGION, CCA_MODEL,
# CLAUDE_CODE_USE_BEDROCK): one image serves every deployment, so none of them is an ARG or ENV here.
# Every stage is built for the target platform (no --platform=$BUILDPLATFORM): the Claude Code
# binary and better-sqlite3's native module must match the CPU the image runs on (AgentCore: arm64).
# test/e2e/container.test.ts reads this file and repeats the runtime stage's steps on the host.

# --- build: dist/ from src/ (dev dependencies live and die here) -----------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: tsc needs no native module, and the root "prepare" would build before src/ exists.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# npm run build is scripts/build.mjs: the service (src/), the API Lambda bundle and the web apps (web/).
COPY scripts ./scripts
COPY src ./src
COPY web ./web
RUN npm run build

# --- deps: production node_modules, including this platform's Claude Code binary ------------
FROM node:22-bookworm-slim AS deps
# better-sqlite3 downloads a prebuilt binding from GitHub; where none matches or GitHub is out of
# reach it compiles from source, which needs these. They stay in this stage, out of the image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/install-production.sh ./scripts/
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    sh scripts/install-production.sh

# --- runtime --------------------------------------------------------------------------------
FROM node:22-bookworm-slim AS runtime
# Coding tasks run git and python3; ca-certificates lets them (and pip) reach HTTPS hosts
# (Node carries its own CA list, the system tools do not).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git python3 \
 && rm -rf /var/lib/apt/lists/*
# A non-root user: Claude Code refuses bypassPermissions as root, and the agent's shell must not
# be able to rewrite the service. It owns only /data (sessions, workspaces, local artifacts) and
# /mnt/cca, where the AgentStack mounts AgentCore session storage and points CCA_DATA_DIR
# (/mnt/cca/data): AgentCore mounts it over this directory for each invocation (it is not there
# while the container starts) and does not enforce permissions inside it, so `cca` writes there;
# the directory in the image keeps the same layout writable under `docker run -v vol:/mnt/cca`.
RUN groupadd --system --gid 10001 cca \
 && useradd --system --uid 10001 --gid cca --home-dir /data --shell /usr/sbin/nologin cca \
 && mkdir -p /data /mnt/cca \
 && chown cca:cca /data /mnt/cca \
 && chmod 0700 /mnt/cca
WORKDIR /app
# CCA_SANDBOX=off: on AgentCore each session already runs in its own microVM, and bubblewrap
# cannot create namespaces inside most container runtimes; the microVM is the sandbox here.
ENV NODE_ENV=production \
    CCA_DATA_DIR=/data \
    CCA_SANDBOX=off
# Root-owned and read-only for `cca`: code and dependencies are not the agent's to change.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
COPY bin ./bin
USER cca
EXPOSE 8080
# Slim images have no curl: ask /ping with Node itself (CCA_PORT moves the port, so follow it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CCA_PORT||8080)+'/ping').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (cca drains running sessions, then exits).
ENTRYPOINT ["node", "bin/cca", "runtime"]

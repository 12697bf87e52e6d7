# syntax=docker/dockerfile:1
#
# One image for every Showfloor service; the command picks which one runs:
#
#   docker build -t showfloor .
#   docker run showfloor node services/admin-api/dist/server.js
#   docker run showfloor node --max-semi-space-size=16 --single-threaded-gc --heap-growing-percent=25 services/app-api/dist/server.js   (the default)
#   docker run showfloor node services/worker/dist/main.js
#   docker run -e PORTAL_SECRET=... showfloor node --max-old-space-size=128 services/portal/dist/server.js
#   docker run showfloor node packages/cli/dist/main.js migrate
#
# `node` runs the service directly (never through pnpm), so SIGTERM reaches the process and it
# closes gracefully.

ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS base
# The pnpm release known to work with this registry; corepack's signature check fails on it.
RUN npm install --global pnpm@12.4.2 && npm cache clean --force
# CI: pnpm never waits for a prompt. The store lives in the image so later stages install offline.
ENV CI=true \
    TURBO_TELEMETRY_DISABLED=1
WORKDIR /app

# Dependencies from the lockfile alone: this layer survives source changes.
# Build scripts are skipped: the native packages in the tree (esbuild, msgpackr-extract) ship
# prebuilt binaries as optional dependencies, so their scripts are not needed.
FROM base AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN pnpm fetch --ignore-scripts --store-dir /pnpm/store

# Every package compiled to dist/ by turbo, in dependency order.
FROM deps AS build
COPY . .
RUN pnpm install --offline --frozen-lockfile --ignore-scripts --store-dir /pnpm/store
RUN pnpm build

# The same tree with production dependencies only: node_modules are reinstalled from the store,
# dist/ folders stay.
FROM build AS prune
RUN find . -name node_modules -type d -prune -exec rm -rf {} + \
 && find . -name .turbo -type d -prune -exec rm -rf {} + \
 && pnpm install --offline --frozen-lockfile --prod --ignore-scripts --store-dir /pnpm/store

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=prune /app /app
# Code stays root-owned; the service user may write only where mail files go without SMTP_URL.
RUN mkdir -p /app/var/mail && chown -R node:node /app/var
USER node
EXPOSE 8001 8002 8003 8004
CMD ["node", "--max-semi-space-size=16", "--single-threaded-gc", "--heap-growing-percent=25", "services/app-api/dist/server.js"]

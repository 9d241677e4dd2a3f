# syntax=docker/dockerfile:1
# One image for every fleet service: compiled JavaScript (npm run build), production
# dependencies only, run as the unprivileged `node` user. The command picks the process:
#   docker build -t ride-fleet .
#   docker run ride-fleet dist/duration.js      # or dist/cost.js, dist/tip.js, dist/decision.js
#   docker run ride-fleet dist/cli.js init      # topics and schemas
# (`# syntax` above: COPY --parents needs Dockerfile frontend 1.20 or newer.)

# onnxruntime-node's install script only downloads its optional CUDA binaries (the CPU
# binaries ship in the package); ONNXRUNTIME_NODE_INSTALL=skip, its documented flag, skips it.
# patches/ goes in with the manifests: `npm ci` ends with patch-package applying them
# (kafkajs's quadratic grouping of a send by partition, its consumer's restart as a new
# group member, its request queue's timer every millisecond, its encoder's allocations per
# record and its Long arithmetic per fetched record, patches/kafkajs+2.2.4.patch;
# @platformatic/kafka's reading of tagged fields, patches/@platformatic+kafka+1.35.0.patch).

FROM node:20-bookworm-slim AS builder
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
# The manifests of every workspace first, so the install layer is rebuilt only when they change.
COPY --parents package.json package-lock.json .npmrc infra/package.json packages/*/package.json patches/*.patch ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY infra infra
COPY packages packages
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip
COPY --parents package.json package-lock.json .npmrc infra/package.json packages/*/package.json patches/*.patch ./
# Production dependencies of every workspace. onnxruntime-node carries the native libraries of
# every platform; only Linux's are kept.
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v6/darwin node_modules/onnxruntime-node/bin/napi-v6/win32 \
  && npm cache clean --force
COPY schemas schemas
# The models the services load (ONNX + card) and the feature spec; not the training pipeline
# nor its data.
COPY --parents models/features.json models/manifest.json models/*/*/model.onnx models/*/*/model.json ./
COPY --from=builder /app/dist dist
USER node
# Stack traces point at the TypeScript sources (dist/*.js.map).
ENV NODE_OPTIONS=--enable-source-maps METRICS_PORT=9464
# The CLI's state (`fleet demo`'s instance files, logs) defaults to /app/.fleet, which `node`
# cannot write (/app is root's; read-only in the cluster): /tmp, writable there too (emptyDir).
ENV FLEET_STATE_DIR=/tmp/fleet
EXPOSE 9464
ENTRYPOINT ["node"]
CMD ["dist/duration.js"]

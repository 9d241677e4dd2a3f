# One image for every fleet service; the command picks the service, e.g.
#   docker run fleet packages/duration/src/main.ts
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY infra/package.json infra/
COPY packages/core/package.json packages/core/
COPY packages/duration/package.json packages/duration/
COPY packages/cost/package.json packages/cost/
COPY packages/tip/package.json packages/tip/
COPY packages/decision/package.json packages/decision/
COPY packages/backend/package.json packages/backend/
COPY packages/cli/package.json packages/cli/
RUN npm ci --no-audit --no-fund --include=dev
COPY schemas schemas
COPY models models
COPY packages packages
COPY infra infra
USER node
ENV METRICS_PORT=9464
EXPOSE 9464
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["packages/duration/src/main.ts"]

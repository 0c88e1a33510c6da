# One image for every process: api (`node dist/src/main.js`), worker (`node dist/src/worker.js`),
# and the one-shot CLI steps (`node dist/src/database/cli.js migrate | create-town …`).
# docker-compose.yml builds it once and runs all of them from it.

FROM node:20-bookworm-slim AS build
# argon2 is compiled from source (its prebuilt binary crashed on our machines, docs/RELIABILITY.md):
# node-gyp needs python3, make and a C++ compiler, which the slim image lacks.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV npm_config_build_from_source=true
WORKDIR /app
COPY package.json package-lock.json ./
# Not `npm ci`: the registry lacks some other-platform optional binaries (scripts/ensure-deps.sh).
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev
# The staff console (web/, its own npm package): static files the api serves at /console/.
COPY web/package.json web/package-lock.json ./web/
RUN cd web && npm install --no-audit --no-fund
COPY web ./web
RUN cd web && npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js"]

import type { Stack } from '../../shared/dev-deps.js';
import { mdText } from '../../shared/escape.js';
import type { ServiceModel } from '../model.js';

export function packageJson(model: ServiceModel, stack: Stack, smokeSuite = false): string {
  const pkg = {
    name: model.packageName,
    version: '0.1.0',
    private: true,
    description: model.title.slice(0, 200),
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      start: 'node dist/src/main.js',
      test: 'tsc -p tsconfig.json && node --test --experimental-test-coverage dist/test/unit/ dist/test/integration/',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      // Against a live service: BASE_URL=http://host:port npm run test:smoke (after a build).
      ...(smokeSuite ? { 'test:smoke': 'node --test dist/test/smoke/' } : {}),
    },
    dependencies: stack.dependencies,
    devDependencies: stack.devDependencies,
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/**
 * package-lock.json naming exactly the versions the dependency cache holds (the product's own lock
 * entries for them), so `npm ci` elsewhere installs the same tree.
 */
export function packageLock(model: ServiceModel, stack: Stack, packages: Record<string, unknown>): string {
  const lock = {
    name: model.packageName,
    version: '0.1.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': {
        name: model.packageName,
        version: '0.1.0',
        dependencies: stack.dependencies,
        devDependencies: stack.devDependencies,
        engines: { node: '>=20' },
      },
      ...packages,
    },
  };
  return `${JSON.stringify(lock, null, 2)}\n`;
}

export function tsconfigJson(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      esModuleInterop: true,
      outDir: 'dist',
      rootDir: '.',
      types: ['node'],
    },
    include: ['src', 'test'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function biomeJson(): string {
  return `${JSON.stringify(
    {
      files: { includes: ['src/**', 'test/**'] },
      formatter: { indentStyle: 'space', lineWidth: 120 },
      javascript: { formatter: { quoteStyle: 'single' } },
      linter: { enabled: true },
    },
    null,
    2,
  )}\n`;
}

export function gitignore(): string {
  return 'node_modules\ndist\ndata\n*.tmp\n';
}

export function envExample(): string {
  return `# Address and port the service listens on
HOST=0.0.0.0
PORT=3000
# PostgreSQL, e.g. postgres://user:password@db:5432/service (empty: a SQLite file)
DATABASE_URL=
# The SQLite file when DATABASE_URL is empty (default: $DATA_DIR/service.sqlite)
DATA_DIR=data
DATABASE_FILE=
# debug | info | warn | error | silent
LOG_LEVEL=info
# How long in-flight requests may take to finish after SIGTERM
SHUTDOWN_TIMEOUT_MS=10000
`;
}

export function dockerfile(): string {
  // better-sqlite3 builds its addon at install: the build stage has the compiler, the runtime stage not.
  return `FROM node:20-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY test ./test
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
# SQLite file in /app/data (mount a volume there), or set DATABASE_URL for PostgreSQL.
ENV NODE_ENV=production PORT=3000 DATA_DIR=/app/data
COPY package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME /app/data
EXPOSE 3000
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:3000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
`;
}

export function readme(model: ServiceModel, smokeSuite = false): string {
  const ops = model.operations
    // Paths are safe URL paths (the model replaces any other); everything else is escaped Markdown.
    .map(
      (o) =>
        `| ${o.method} | \`${o.path}\` | ${mdText(o.operationId)} | ${mdText(o.requirementIds.join(', '), 1_000) || '-'} |`,
    )
    .join('\n');
  const entities = model.entities
    .map(
      (e) =>
        `- **${e.typeName}** (${mdText(e.label)}): ${e.fields.map((f) => `\`${f.name}\` ${f.type}${f.required ? '' : '?'}${f.unique ? ' unique' : ''}`).join(', ')}`,
    )
    .join('\n');
  const rules = model.rules
    .map((r) => {
      switch (r.kind) {
        case 'limit':
          return `- ${mdText(r.requirementId)}: at most ${r.max} ${r.entity} per \`${r.perField}\` (409)`;
        case 'value':
          return `- ${mdText(r.requirementId)}: \`${r.entity}.${r.field}\` ${r.bound === 'min' ? '>=' : '<='} ${r.value} (422)`;
        case 'effect':
          return `- ${mdText(r.requirementId)}: a new ${r.entity} ${r.sign < 0 ? 'lowers' : 'raises'} \`${r.target}.${r.field}\` by ${r.amount === null ? 'one' : `its \`${r.amount}\``}; refused (409) past the field's bounds`;
        default:
          return `- ${mdText(r.requirementId)}: a ${r.target} held by a ${r.entity} cannot be taken again${r.release === null ? '' : ` until a ${r.release}`} (409)`;
      }
    })
    .join('\n');
  const notes = model.notes.map((n) => `- ${mdText(n, 400)}`).join('\n');
  return `# ${mdText(model.title, 200)}

Generated by PowerAutomation. A TypeScript service (Node 20+) on Fastify, with Kysely on a SQLite file
by default or PostgreSQL when \`DATABASE_URL\` is set.

## Run

\`\`\`sh
npm ci             # the pinned versions of package-lock.json
npm run build
npm start          # PORT=3000, data in ./data/service.sqlite; see .env.example
DATABASE_URL=postgres://user:password@localhost:5432/service npm start   # on PostgreSQL
npm test           # type-check, build, unit + integration tests with V8 coverage
${smokeSuite ? 'BASE_URL=http://127.0.0.1:3000 npm run test:smoke   # smoke tests against a running service\n' : ''}\`\`\`

\`GET /health\` answers \`{"status":"ok"}\`; \`GET /ready\` checks the database; \`GET /metrics\` exposes
\`http_requests_total\`, \`http_request_errors_total\` and the \`http_request_duration_seconds\` histogram per
route. \`GET /openapi.json\` is the design's OpenAPI 3.1 document, \`GET /docs\` a page to try it.
Logs are JSON lines on stdout (pino). SIGTERM stops accepting connections, lets requests finish and
closes the database.

## Database

Migrations in \`src/migrations/\` run at start (Kysely's Migrator records which ran). A new version of
the design adds a migration file; it does not edit \`0001_init.ts\`. Unique values, references and
value bounds are constraints of the schema as well as checks in \`src/rules.ts\`. Every request runs in
one transaction (SERIALIZABLE on PostgreSQL, retried when PostgreSQL aborts it), so limits such as
"at most N per member" hold under concurrent requests. In a container, mount a volume at
\`/app/data\` for the SQLite file, or set \`DATABASE_URL\` (from a Secret on Kubernetes).

## API

| method | path | operation | requirements |
| --- | --- | --- | --- |
${ops}

Errors are \`application/problem+json\` with a machine-readable \`code\`: invalid input 400 naming each
field; a missing record 404; a duplicate unique value or a broken business rule 409; a reference to a
missing record 422.

## Data

${entities}
${rules ? `\n### Business rules\n\n${rules}\n` : ''}
## Layout

- \`src/main.ts\` process entry, signals; \`src/server.ts\` the service's tables, routes and document
- \`src/kit/\` the parts every generated service shares (server, config, logger, metrics, database, errors)
- \`src/routes/\` one handler per API operation; \`src/domain/\` input types and validation
- \`src/rules.ts\` uniqueness, references and business rules; \`src/storage/store.ts\` tables and repositories
- \`src/migrations/\` the schema, one file per change; \`openapi.json\` the design's API document
- \`test/unit/\`, \`test/integration/\`${smokeSuite ? ', `test/smoke/` (live, needs `BASE_URL`)' : ''}: names tagged \`[REQ-xxx]\` trace to requirements
${notes ? `\n## Not generated\n\n${notes}\n` : ''}`;
}

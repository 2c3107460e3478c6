import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stack } from '../shared/dev-deps.js';
import type { ServiceModel } from './model.js';
import {
  biomeJson,
  dockerfile,
  envExample,
  gitignore,
  packageJson,
  packageLock,
  readme,
  tsconfigJson,
} from './templates/project.js';
import {
  domainTs,
  initMigrationTs,
  mainTs,
  migrationsIndexTs,
  openapiTs,
  routesTs,
  routeTableTs,
  rulesTs,
  serverTs,
  storeTs,
} from './templates/service.js';
import { smokeCases, smokeTestTs } from './templates/smoke.js';
import {
  apiTestTs,
  helpersTs,
  platformTestTs,
  rulesTestTs,
  runtimeTestTs,
  validationTestTs,
} from './templates/tests.js';

export interface GeneratedFile {
  path: string;
  content: string;
  /** Requirements whose behaviour lives in this file; `*` for shared plumbing every request crosses. */
  requirementIds: string[];
}

/**
 * The kit's sources: beside this module when run from src, under the package's src/ when run from dist
 * (the compiled .js is not what the workspace gets: it gets the checked .ts files themselves).
 */
function kitDir(): string {
  const here = fileURLToPath(new URL('./kit/', import.meta.url));
  if (existsSync(join(here, 'server.ts'))) return here;
  return fileURLToPath(new URL('../../../src/engines/coding/kit/', import.meta.url));
}

let kitCache: GeneratedFile[] | undefined;

/** The spec-independent files, copied verbatim into `src/kit/`. */
export function kitFiles(): GeneratedFile[] {
  kitCache ??= readdirSync(kitDir())
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort()
    .map((f) => ({
      path: `src/kit/${f}`,
      content: readFileSync(join(kitDir(), f), 'utf8'),
      requirementIds: ['*'],
    }));
  return kitCache;
}

/** The whole service as files, deterministic for a given model: code_fix relies on regenerating the same bytes. */
export function renderService(
  model: ServiceModel,
  stack: Stack,
  lock: Record<string, unknown> = {},
): GeneratedFile[] {
  const all = ['*'];
  const reqsOf = (entity: string) => [
    ...new Set([
      ...model.operations.filter((o) => o.entity === entity).flatMap((o) => o.requirementIds),
      ...model.rules.filter((r) => r.entity === entity).map((r) => r.requirementId),
    ]),
  ];
  const smoke = smokeTestTs(model);
  const files: GeneratedFile[] = [
    { path: 'package.json', content: packageJson(model, stack, smoke !== null), requirementIds: all },
    { path: 'package-lock.json', content: packageLock(model, stack, lock), requirementIds: [] },
    { path: 'tsconfig.json', content: tsconfigJson(), requirementIds: all },
    { path: 'biome.json', content: biomeJson(), requirementIds: [] },
    { path: '.gitignore', content: gitignore(), requirementIds: [] },
    { path: '.env.example', content: envExample(), requirementIds: [] },
    { path: 'Dockerfile', content: dockerfile(), requirementIds: [] },
    { path: 'README.md', content: readme(model, smoke !== null), requirementIds: [] },
    { path: 'openapi.json', content: `${JSON.stringify(model.openapi, null, 2)}\n`, requirementIds: [] },
    ...kitFiles(),
    { path: 'src/openapi.ts', content: openapiTs(model), requirementIds: all },
    { path: 'src/storage/store.ts', content: storeTs(model), requirementIds: all },
    { path: 'src/migrations/0001_init.ts', content: initMigrationTs(model), requirementIds: all },
    { path: 'src/migrations/index.ts', content: migrationsIndexTs(), requirementIds: all },
    {
      path: 'src/rules.ts',
      content: rulesTs(model),
      requirementIds: model.rules.map((r) => r.requirementId).concat(all),
    },
    { path: 'src/routes/index.ts', content: routeTableTs(model), requirementIds: all },
    { path: 'src/server.ts', content: serverTs(), requirementIds: all },
    { path: 'src/main.ts', content: mainTs(), requirementIds: all },
  ];
  for (const entity of model.entities) {
    files.push({
      path: `src/domain/${entity.file}.ts`,
      content: domainTs(entity),
      requirementIds: reqsOf(entity.key),
    });
    if (model.operations.some((o) => o.entity === entity.key)) {
      files.push({
        path: `src/routes/${entity.file}.ts`,
        content: routesTs(model, entity),
        requirementIds: reqsOf(entity.key),
      });
    }
  }
  files.push(
    { path: 'test/helpers.ts', content: helpersTs(model), requirementIds: all },
    { path: 'test/unit/runtime.test.ts', content: runtimeTestTs(), requirementIds: [] },
    { path: 'test/unit/validation.test.ts', content: validationTestTs(model), requirementIds: [] },
    {
      path: 'test/unit/rules.test.ts',
      content: rulesTestTs(model),
      requirementIds: model.rules.map((r) => r.requirementId),
    },
    { path: 'test/integration/platform.test.ts', content: platformTestTs(), requirementIds: [] },
    {
      path: 'test/integration/api.test.ts',
      content: apiTestTs(model),
      requirementIds: model.requirements.map((r) => r.id),
    },
  );
  if (smoke !== null) {
    files.push({
      path: 'test/smoke/smoke.test.ts',
      content: smoke,
      requirementIds: [...new Set(smokeCases(model).flatMap((c) => c.requirementIds))],
    });
  }
  return files;
}

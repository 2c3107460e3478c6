import type { DevDependencies } from '../shared/dev-deps.js';
import type { ServiceModel } from './model.js';
import {
  biomeJson,
  dockerfile,
  envExample,
  gitignore,
  packageJson,
  readme,
  tsconfigJson,
} from './templates/project.js';
import {
  configTs,
  httpTs,
  loggerTs,
  mainTs,
  metricsTs,
  repositoryTs,
  routerTs,
} from './templates/runtime.js';
import { domainTs, routesTs, routeTableTs, rulesTs, serverTs, storeTs } from './templates/service.js';
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

/** The whole service as files, deterministic for a given model: code_fix relies on regenerating the same bytes. */
export function renderService(model: ServiceModel, dev: DevDependencies): GeneratedFile[] {
  const all = ['*'];
  const reqsOf = (entity: string) => [
    ...new Set([
      ...model.operations.filter((o) => o.entity === entity).flatMap((o) => o.requirementIds),
      ...model.rules.filter((r) => r.entity === entity).map((r) => r.requirementId),
    ]),
  ];
  const smoke = smokeTestTs(model);
  const files: GeneratedFile[] = [
    { path: 'package.json', content: packageJson(model, dev, smoke !== null), requirementIds: all },
    { path: 'tsconfig.json', content: tsconfigJson(), requirementIds: all },
    { path: 'biome.json', content: biomeJson(), requirementIds: [] },
    { path: '.gitignore', content: gitignore(), requirementIds: [] },
    { path: '.env.example', content: envExample(), requirementIds: [] },
    { path: 'Dockerfile', content: dockerfile(), requirementIds: [] },
    { path: 'README.md', content: readme(model, smoke !== null), requirementIds: [] },
    { path: 'src/config.ts', content: configTs(), requirementIds: all },
    { path: 'src/logger.ts', content: loggerTs(), requirementIds: all },
    { path: 'src/metrics.ts', content: metricsTs(), requirementIds: all },
    { path: 'src/http.ts', content: httpTs(), requirementIds: all },
    { path: 'src/router.ts', content: routerTs(), requirementIds: all },
    { path: 'src/storage/repository.ts', content: repositoryTs(), requirementIds: all },
    { path: 'src/storage/store.ts', content: storeTs(model), requirementIds: all },
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

import { commentText, lit, templateText } from '../../shared/escape.js';
import type { EntityModel, OperationModel, ServiceModel, TestCaseModel } from '../model.js';
import { caseTestName, pathWith, sample } from './tests.js';

// The live smoke suite: the test plan's smoke cases over plain HTTP against BASE_URL (a deployed
// service). Only Node built-ins, no access to the store: everything a case needs is created through the API.

export interface SmokeCase {
  name: string;
  requirementIds: string[];
  entity: EntityModel;
  create: OperationModel;
  read: OperationModel | null;
}

function createOpOf(entity: EntityModel, model: ServiceModel): OperationModel | undefined {
  return model.operations.find((o) => o.entity === entity.key && o.kind === 'create');
}

/** Entities creatable through their own POST, with everything they reference creatable too. */
function creatable(model: ServiceModel): Set<string> {
  const ok = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const e of model.entities) {
      if (ok.has(e.key) || createOpOf(e, model) === undefined) continue;
      if (e.fields.every((f) => f.ref === null || ok.has(f.ref))) {
        ok.add(e.key);
        grew = true;
      }
    }
  }
  return ok;
}

function smokeCaseOf(
  c: TestCaseModel,
  index: number,
  model: ServiceModel,
  ok: Set<string>,
): SmokeCase | null {
  const byPlan = model.operations.find((o) => o.operationId === c.operationId && o.kind === 'create');
  const byRequirement = c.requirementIds
    .flatMap((id) => model.requirements.find((r) => r.id === id)?.operations ?? [])
    .map((opId) => model.operations.find((o) => o.operationId === opId))
    .find((o) => o?.kind === 'create');
  const create = byPlan ?? byRequirement;
  const entity = model.entities.find((e) => e.key === create?.entity);
  if (create === undefined || entity === undefined || !ok.has(entity.key)) return null;
  const read =
    model.operations.find((o) => o.entity === entity.key && o.kind === 'get') ??
    model.operations.find((o) => o.entity === entity.key && o.kind === 'list') ??
    null;
  return { name: caseTestName(c, index), requirementIds: c.requirementIds, entity, create, read };
}

/** The plan's smoke cases the suite can run over HTTP; empty: no suite is generated. */
export function smokeCases(model: ServiceModel): SmokeCase[] {
  const ok = creatable(model);
  return model.testCases
    .map((c, i) => (c.kind === 'smoke' ? smokeCaseOf(c, i, model, ok) : null))
    .filter((c): c is SmokeCase => c !== null);
}

function createHelper(entity: EntityModel, model: ServiceModel): string {
  const op = createOpOf(entity, model)!;
  const props = entity.fields.map((f) => {
    const target = model.entities.find((e) => e.key === f.ref);
    const value = target ? `String((await create${target.typeName}()).id)` : sample(f, model);
    return `    ${f.name}: ${value},`;
  });
  const usesN = props.some((p) => /\bn\b/.test(p));
  const where = templateText(`${op.method} ${op.path}`);
  return `/** Creates a ${entity.key} through ${commentText(`${op.method} ${op.path}`)}; the answer must echo the input with an id. */
async function create${entity.typeName}(): Promise<Json> {
${usesN ? '  const n = next();\n' : ''}  const input = {
${props.join('\n')}
  };
  const created = await call(${lit(op.method)}, ${lit(op.path)}, input);
  assert.equal(created.status, 201, \`${where} answered \${created.status}: \${JSON.stringify(created.body)}\`);
  assert.equal(typeof created.body.id, 'string', 'the created record has an id');
  for (const [key, value] of Object.entries(input)) assert.deepEqual(created.body[key], value, key);
  return created.body;
}`;
}

function readBack(read: OperationModel | null): string[] {
  if (read === null) return [];
  const where = templateText(`${read.method} ${read.path}`);
  if (read.kind === 'get') {
    return [
      `const found = await call(${lit(read.method)}, \`${pathWith(read, 'String(created.id)')}\`);`,
      `assert.equal(found.status, 200, \`${where} answered \${found.status}\`);`,
      'assert.deepEqual(found.body, created);',
    ];
  }
  return [
    `const listed = await call<Json[]>(${lit(read.method)}, ${lit(read.path)});`,
    `assert.equal(listed.status, 200, \`${where} answered \${listed.status}\`);`,
    "assert.ok(listed.body.some((item) => item.id === created.id), 'the new record is listed');",
  ];
}

/** `test/smoke/smoke.test.ts`, or null when the plan has no smoke case runnable over HTTP. */
export function smokeTestTs(model: ServiceModel): string | null {
  const cases = smokeCases(model);
  if (cases.length === 0) return null;
  // Helpers for each case's entity and, transitively, what it references.
  const needed: EntityModel[] = [];
  const need = (entity: EntityModel) => {
    if (needed.includes(entity)) return;
    for (const f of entity.fields) {
      const target = model.entities.find((e) => e.key === f.ref);
      if (target) need(target);
    }
    needed.push(entity);
  };
  for (const c of cases) need(c.entity);
  const blocks = cases.map(
    (c) => `test(${lit(c.name)}, { skip }, async () => {
  ${c.read === null ? '' : 'const created = '}await create${c.entity.typeName}();
${readBack(c.read)
  .map((l) => `  ${l}`)
  .join('\n')}
});`,
  );
  const helpers = needed.map((e) => createHelper(e, model));
  const usesNext = helpers.some((h) => h.includes('next()'));
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';

// Smoke tests against a live service: BASE_URL=http://host:port npm run test:smoke (deploy_verify
// sets it). Without BASE_URL they are skipped. The [REQ-xxx] tags trace them to requirements.
const BASE_URL = (process.env.BASE_URL ?? '').replace(/\\/+$/, '');
const skip = BASE_URL === '' ? 'BASE_URL is not set: no live service to check' : false;
${
  usesNext
    ? `// A live store keeps the records of earlier runs: unique values differ per run.
const RUN = Date.now() % 1_000_000_000;
let serial = 0;
const next = () => RUN + serial++;
`
    : ''
}
type Json = Record<string, unknown>;

async function call<T = Json>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(\`\${BASE_URL}\${path}\`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('application/json') && text !== '' ? JSON.parse(text) : text;
  return { status: res.status, body: json as T };
}

${helpers.join('\n\n')}

test('health answers 200', { skip }, async () => {
  const health = await call('GET', '/health');
  assert.equal(health.status, 200);
});

${blocks.join('\n\n')}
`;
}

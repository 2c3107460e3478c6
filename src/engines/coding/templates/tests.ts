import { commentText, lit, oneLine, regexLiteral, templateText } from '../../shared/escape.js';
import type {
  EffectRuleModel,
  EntityModel,
  FieldModel,
  HoldRuleModel,
  LimitRule,
  OperationModel,
  RuleModel,
  ServiceModel,
  TestCaseModel,
  ValueRule,
} from '../model.js';

// The generated service's tests. Requirement-driven tests carry `[REQ-xxx]` tags in their names;
// the testing engine reads them back from the node:test reporter events.

function valueRulesOf(field: FieldModel, model: ServiceModel): ValueRule[] {
  return model.rules.filter(
    (r): r is ValueRule =>
      r.kind === 'value' &&
      r.field === field.name &&
      model.entities.some((e) => e.key === r.entity && e.fields.includes(field)),
  );
}

/** A number that keeps the field's value rules: valid samples must pass the business rules too. */
function boundedNumber(field: FieldModel, rules: ValueRule[]): string | null {
  const min = Math.max(...rules.filter((r) => r.bound === 'min').map((r) => r.value));
  const max = Math.min(...rules.filter((r) => r.bound === 'max').map((r) => r.value));
  if (rules.length === 0) return null;
  const int = field.type === 'integer';
  if (Number.isFinite(min) && Number.isFinite(max)) {
    return String(int ? Math.ceil((min + max) / 2) : (min + max) / 2);
  }
  const step = int ? 'n' : '(n % 100) + 0.5';
  if (Number.isFinite(min)) return min === 0 ? step : `${int ? Math.ceil(min) : min} + ${step}`;
  return `${int ? Math.floor(max) : max} - ${step}`;
}

export function sample(field: FieldModel, model: ServiceModel): string {
  if (field.ref) {
    const target = model.entities.find((e) => e.key === field.ref);
    // A new referenced record per call: its unique values must not repeat within one database.
    if (target) return `(await seed${target.typeName}(store, nextSeed())).id`;
  }
  const bounded =
    field.type === 'integer' || field.type === 'number'
      ? boundedNumber(field, valueRulesOf(field, model))
      : null;
  if (bounded !== null) return bounded;
  switch (field.type) {
    case 'integer':
      return 'n';
    case 'number':
      return 'n + 0.5';
    case 'boolean':
      return 'true';
    case 'date':
      return `'2024-01-15'`;
    case 'datetime':
      return `'2024-01-15T10:00:00.000Z'`;
    case 'email':
      return `\`user\${n}@example.com\``;
    case 'url':
      return `\`https://example.com/\${n}\``;
    case 'enum':
      return field.enumValues[0] !== undefined ? lit(field.enumValues[0]) : `'value'`;
    case 'id':
      return `\`id-\${n}\``;
    default:
      return `\`${field.name} \${n}\``;
  }
}

function badValue(field: FieldModel): string {
  switch (field.type) {
    case 'integer':
      return '1.5';
    case 'number':
      return `'many'`;
    case 'boolean':
      return `'yes'`;
    case 'date':
      return `'2024-13-45'`;
    case 'datetime':
      return `'yesterday'`;
    case 'email':
      return `'not-an-email'`;
    case 'url':
      return `'not a url'`;
    case 'enum':
      return field.enumValues.length > 0 ? `'__not_a_value__'` : '42';
    default:
      return '42';
  }
}

/** `bookBorrowBody(store, n)`: the request body of the action (the record without the target id from the path). */
function actionBodyHelper(record: EntityModel, model: ServiceModel): string {
  const fields = record.fields.filter((f) => f.name !== record.action?.targetField);
  const uses = (what: string) => fields.some((f) => sample(f, model).includes(what));
  const props = fields.map((f) => `    ${f.name}: ${sample(f, model)},`).join('\n');
  return `/** The request body of ${commentText(record.action?.verb ?? 'the action')}: every field but the target id, which the path carries. */
export async function ${record.key}Body(${uses('store') ? 'store' : '_store'}: Store, ${uses('n') ? 'n' : '_n'} = 1): Promise<Omit<${record.typeName}Input, ${lit(record.action?.targetField ?? '')}>> {
  return {
${props}
  };
}`;
}

export function helpersTs(model: ServiceModel): string {
  const imports = model.entities.map(
    (e) => `import type { ${e.typeName}Input } from '../src/domain/${e.file}.js';`,
  );
  const builders = model.entities.map((e) => {
    const props = e.fields.map((f) => `    ${f.name}: ${sample(f, model)},`).join('\n');
    return `/** A valid ${e.key}; \`n\` varies unique values and seeds what it references. */
export async function ${e.key}Input(${e.fields.some((f) => f.ref || sample(f, model).includes('n')) ? 'store' : '_store'}: Store, ${
      e.fields.some((f) => sample(f, model).includes('n')) ? 'n' : '_n'
    } = 1): Promise<${e.typeName}Input> {
  return {
${props}
  };
}

export async function seed${e.typeName}(store: Store, n = 1) {
  return store.${e.collection}.create(await ${e.key}Input(store, n));
}${e.action ? `\n\n${actionBodyHelper(e, model)}` : ''}`;
  });
  return `${imports.join('\n')}
import { migrate, openDatabase } from '../src/kit/db.js';
import { migrations } from '../src/migrations/index.js';
import type { RunningService } from '../src/server.js';
import { createStore, type Store } from '../src/storage/store.js';

export type Json = Record<string, unknown>;

let seeds = 1_000_000;
/** A number no other seeded record uses, for records seeded as references. */
export function nextSeed(): number {
  seeds += 1;
  return seeds;
}

export interface Answer<T> {
  status: number;
  body: T;
}

/** A service on a fresh in-memory SQLite database: each test file starts from empty tables. */
export async function startTestService(): Promise<RunningService> {
  // Loaded here, not at the top: unit tests use the builders below and need no HTTP server.
  const { startServer } = await import('../src/server.js');
  return startServer({ host: '127.0.0.1', port: 0, database: { kind: 'sqlite', file: ':memory:' } });
}

/** Repositories on a fresh, migrated in-memory database, for unit tests of rules and validation. */
export async function testStore(): Promise<Store> {
  const database = await openDatabase({ kind: 'sqlite', file: ':memory:' });
  await migrate(database.db, migrations);
  return createStore(database.db, database.dialect);
}

/** One HTTP call against the running service; the body is parsed when it is JSON. */
export async function call<T = Json>(service: RunningService, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const res = await fetch(\`\${service.url}\${path}\`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  // application/json and application/problem+json
  const json = /json/.test(res.headers.get('content-type') ?? '') && text !== '' ? JSON.parse(text) : text;
  return { status: res.status, body: json as T };
}

${builders.join('\n\n')}
`;
}

export function pathWith(op: OperationModel, value: string): string {
  // The path is template-literal text; only its first parameter becomes an interpolation.
  return templateText(op.path)
    .replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/, `\${encodeURIComponent(${value})}`)
    .replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x');
}

/** The HTTP scenario proving one operation works, as statements inside a test. */
function scenario(op: OperationModel, entity: EntityModel, n: number, model: ServiceModel): string[] {
  const input = `(await ${entity.key}Input(store(), ${n}))`;
  const seed = `(await seed${entity.typeName}(store(), ${n}))`;
  const m = lit(op.method);
  switch (op.kind) {
    case 'create':
      return [
        `const input = ${input};`,
        `const created = await call(service, ${m}, \`${templateText(op.path)}\`, input);`,
        'assert.equal(created.status, 201, JSON.stringify(created.body));',
        `assert.equal(typeof created.body.id, 'string');`,
        'for (const [key, value] of Object.entries(input)) assert.deepEqual(created.body[key], value);',
        `const invalid = await call(service, ${m}, \`${templateText(op.path)}\`, { __unknown__: true });`,
        'assert.equal(invalid.status, 400);',
      ];
    case 'createChild': {
      const parent = model.entities.find(
        (e) => e.fields.length >= 0 && entity.fields.find((f) => f.name === op.parentField)?.ref === e.key,
      );
      if (!parent) return [];
      return [
        `const parent = await seed${parent.typeName}(store(), ${n});`,
        `const created = await call(service, ${m}, \`${pathWith(op, 'parent.id')}\`, { ...${input}, ${op.parentField}: parent.id });`,
        'assert.equal(created.status, 201, JSON.stringify(created.body));',
        `assert.equal(created.body.${op.parentField}, parent.id);`,
      ];
    }
    case 'list':
      return [
        `const seeded = ${seed};`,
        `const listed = await call<Json[]>(service, ${m}, \`${templateText(op.path)}\`);`,
        'assert.equal(listed.status, 200);',
        'assert.ok(listed.body.some((item) => item.id === seeded.id));',
      ];
    case 'listChildren':
      return [
        `const child = ${seed};`,
        `const listed = await call<Json[]>(service, ${m}, \`${pathWith(op, `child.${op.parentField}`)}\`);`,
        'assert.equal(listed.status, 200);',
        'assert.ok(listed.body.some((item) => item.id === child.id));',
      ];
    case 'get':
      return [
        `const seeded = ${seed};`,
        `const found = await call(service, ${m}, \`${pathWith(op, 'seeded.id')}\`);`,
        'assert.equal(found.status, 200);',
        'assert.equal(found.body.id, seeded.id);',
        `const missing = await call(service, ${m}, \`${pathWith(op, "'no-such-id'")}\`);`,
        'assert.equal(missing.status, 404);',
      ];
    case 'update':
      return [
        `const seeded = ${seed};`,
        `const changes = await ${entity.key}Input(store(), ${n + 1});`,
        `const updated = await call(service, ${m}, \`${pathWith(op, 'seeded.id')}\`, changes);`,
        'assert.equal(updated.status, 200, JSON.stringify(updated.body));',
        'for (const [key, value] of Object.entries(changes)) assert.deepEqual(updated.body[key], value);',
        `const missing = await call(service, ${m}, \`${pathWith(op, "'no-such-id'")}\`, changes);`,
        'assert.equal(missing.status, 404);',
      ];
    case 'action': {
      const record = model.entities.find((e) => e.key === op.record);
      const act = record?.action;
      if (!record || !act) return [];
      const takesBody = record.fields.length > 1;
      const body = takesBody ? ', body' : '';
      // A release (`return`) answers 409 unless the target is held: take it first.
      const hold = model.rules.find((r): r is HoldRuleModel => r.kind === 'hold' && r.release === record.key);
      const take = hold ? model.entities.find((e) => e.key === hold.entity) : undefined;
      const takeCall = take ? creating(take, model) : null;
      return [
        `const target = ${seed};`,
        ...(takeCall
          ? [
              `const held = await ${takeCall('target.id', String(n), '')};`,
              'assert.equal(held.status, 201, JSON.stringify(held.body));',
            ]
          : []),
        ...(takesBody ? [`const body = await ${record.key}Body(store(), ${n});`] : []),
        `const done = await call(service, ${m}, \`${pathWith(op, 'target.id')}\`${body});`,
        'assert.equal(done.status, 201, JSON.stringify(done.body));',
        `assert.equal(done.body.${act.targetField}, target.id);`,
        ...(takesBody
          ? ['for (const [key, value] of Object.entries(body)) assert.deepEqual(done.body[key], value);']
          : []),
        `assert.equal((await store().${record.collection}.get(String(done.body.id)))?.${act.targetField}, target.id);`,
        `const missing = await call(service, ${m}, \`${pathWith(op, "'no-such-id'")}\`${body});`,
        'assert.equal(missing.status, 404);',
        ...(record.fields.some((f) => f.required && f.name !== act.targetField)
          ? [
              `const invalid = await call(service, ${m}, \`${pathWith(op, 'target.id')}\`, {});`,
              'assert.equal(invalid.status, 400);',
            ]
          : []),
      ];
    }
    case 'delete':
      return [
        `const seeded = ${seed};`,
        `const removed = await call(service, ${m}, \`${pathWith(op, 'seeded.id')}\`);`,
        'assert.equal(removed.status, 204);',
        `assert.equal(await store().${entity.collection}.get(seeded.id), undefined);`,
        `const again = await call(service, ${m}, \`${pathWith(op, 'seeded.id')}\`);`,
        'assert.equal(again.status, 404);',
      ];
    default:
      return [];
  }
}

function ruleScenario(rule: RuleModel, model: ServiceModel, n: number): string[] {
  if (rule.kind === 'value') return valueRuleScenario(rule, model, n);
  if (rule.kind === 'effect') return effectScenario(rule, model, n);
  if (rule.kind === 'hold') return holdScenario(rule, model, n);
  const entity = model.entities.find((e) => e.key === rule.entity);
  if (entity?.action) return actionLimitScenario(rule, entity, model, n);
  const op = model.operations.find((o) => o.entity === rule.entity && o.kind === 'create');
  if (!entity || !op) return [];
  return [
    `const holder = (await ${entity.key}Input(store(), ${n})).${rule.perField};`,
    `for (let i = 1; i <= ${rule.max}; i++) {`,
    `  const ok = await call(service, 'POST', \`${templateText(op.path)}\`, { ...(await ${entity.key}Input(store(), ${n} + i)), ${rule.perField}: holder });`,
    '  assert.equal(ok.status, 201, JSON.stringify(ok.body));',
    '}',
    `const over = await call(service, 'POST', \`${templateText(op.path)}\`, { ...(await ${entity.key}Input(store(), ${n + rule.max + 1})), ${rule.perField}: holder });`,
    'assert.equal(over.status, 409);',
    `assert.match(String(over.body.detail), ${regexLiteral(rule.requirementId)});`,
    // The same limit under concurrent requests: each runs in its own transaction, exactly max win.
    `const racedHolder = (await ${entity.key}Input(store(), ${n + 500})).${rule.perField};`,
    `const raced = await Promise.all(Array.from({ length: ${rule.max + 3} }, async (_, i) =>`,
    `  call(service, 'POST', \`${templateText(op.path)}\`, { ...(await ${entity.key}Input(store(), ${n + 501} + i)), ${rule.perField}: racedHolder }),`,
    '));',
    `assert.equal(raced.filter((a) => a.status === 201).length, ${rule.max}, JSON.stringify(raced.map((a) => a.status)));`,
  ];
}

/**
 * The limit through the action's route: `max` actions by one holder succeed, the next is refused
 * with 409 naming the requirement, and no record is added.
 */
function actionLimitScenario(rule: LimitRule, record: EntityModel, model: ServiceModel, n: number): string[] {
  const act = record.action!;
  const op = model.operations.find((o) => o.kind === 'action' && o.record === record.key);
  const target = model.entities.find((e) => e.key === act.target);
  if (!op || !target) return [];
  const perTarget = rule.perField === act.targetField;
  // Counted per target: one target, a new body each time; per actor: one actor, a new target each time.
  const holder = perTarget
    ? `const holder = (await seed${target.typeName}(store(), ${n})).id;`
    : `const holder = (await ${record.key}Body(store(), ${n})).${rule.perField};`;
  const attempt = (k: string, name: string) => [
    ...(perTarget ? [] : [`const ${name}Target = await seed${target.typeName}(store(), ${k});`]),
    `const ${name} = await call(service, 'POST', \`${pathWith(op, perTarget ? 'holder' : `${name}Target.id`)}\`, { ...(await ${record.key}Body(store(), ${k})), ${rule.perField}: holder });`,
  ];
  return [
    holder,
    `for (let i = 1; i <= ${rule.max}; i++) {`,
    ...attempt(`${n} + i`, 'ok').map((l) => `  ${l}`),
    '  assert.equal(ok.status, 201, JSON.stringify(ok.body));',
    '}',
    ...attempt(String(n + rule.max + 1), 'over'),
    'assert.equal(over.status, 409, JSON.stringify(over.body));',
    `assert.match(String(over.body.detail), ${regexLiteral(rule.requirementId)});`,
    `assert.equal(await store().${record.collection}.count({ ${rule.perField}: holder }), ${rule.max});`,
    // The same limit under concurrent requests: each runs in its own transaction, exactly max win.
    perTarget
      ? `const racedHolder = (await seed${target.typeName}(store(), ${n + 500})).id;`
      : `const racedHolder = (await ${record.key}Body(store(), ${n + 500})).${rule.perField};`,
    `const raced = await Promise.all(Array.from({ length: ${rule.max + 3} }, async (_, i) => {`,
    ...(perTarget ? [] : [`  const t = await seed${target.typeName}(store(), ${n + 501} + i);`]),
    `  return call(service, 'POST', \`${pathWith(op, perTarget ? 'racedHolder' : 't.id')}\`, { ...(await ${record.key}Body(store(), ${n + 501} + i)), ${rule.perField}: racedHolder });`,
    '}));',
    `assert.equal(raced.filter((a) => a.status === 201).length, ${rule.max}, JSON.stringify(raced.map((a) => a.status)));`,
    `assert.equal(await store().${record.collection}.count({ ${rule.perField}: racedHolder }), ${rule.max});`,
  ];
}

/** The operation that creates `record` and the statements that call it for `targetId` with `extra` body fields. */
function creating(
  record: EntityModel,
  model: ServiceModel,
): ((targetId: string, k: string, extra: string) => string) | null {
  const op = model.operations.find(
    (o) =>
      (o.kind === 'action' && o.record === record.key) ||
      (o.entity === record.key && (o.kind === 'create' || o.kind === 'createChild')),
  );
  if (!op) return null;
  if (op.kind === 'action') {
    const takesBody = record.fields.length > 1;
    return (targetId, k, extra) =>
      `call(service, 'POST', \`${pathWith(op, targetId)}\`${takesBody || extra ? `, { ${takesBody ? `...(await ${record.key}Body(store(), ${k})), ` : ''}${extra} }` : ''})`;
  }
  return (targetId, k, extra) =>
    `call(service, 'POST', \`${op.kind === 'createChild' ? pathWith(op, targetId) : templateText(op.path)}\`, { ...(await ${record.key}Input(store(), ${k})), ${extra} })`;
}

/**
 * The effect through the API: a record changes its target's field by its amount; where a bound
 * guards the field, one past it is refused (409) and changes nothing, and concurrent records
 * against one target stop exactly at the bound.
 */
function effectScenario(rule: EffectRuleModel, model: ServiceModel, n: number): string[] {
  const record = model.entities.find((e) => e.key === rule.entity);
  const target = model.entities.find((e) => e.key === rule.target);
  const create = record ? creating(record, model) : null;
  if (!record || !target || !create) return [];
  const guard = model.rules.find(
    (g): g is ValueRule =>
      g.kind === 'value' &&
      g.entity === rule.target &&
      g.field === rule.field &&
      g.bound === (rule.sign < 0 ? 'min' : 'max'),
  );
  // Ten amounts of room before the guard (or around 10 without one).
  const start = guard === undefined ? 10 : guard.value - rule.sign * 10;
  const amount = (k: number) => (rule.amount === null ? '' : `${rule.amount}: ${k}`);
  const by = rule.amount === null ? 1 : 3;
  const refOf = (id: string) => (record.action ? '' : `${rule.refField}: ${id}, `);
  const body = (id: string, k: number) => `${refOf(id)}${amount(k)}`.replace(/, $/, '');
  const lines = [
    `const target = await seed${target.typeName}(store(), ${n});`,
    `await store().${target.collection}.update(target.id, { ${rule.field}: ${start} });`,
    `const first = await ${create('target.id', String(n), body('target.id', by))};`,
    'assert.equal(first.status, 201, JSON.stringify(first.body));',
    `assert.equal((await store().${target.collection}.get(target.id))?.${rule.field}, ${start + rule.sign * by});`,
  ];
  if (guard === undefined) return lines;
  const over = rule.amount === null ? null : 10 - by + 1;
  return [
    ...lines,
    ...(over === null
      ? []
      : [
          `const over = await ${create('target.id', String(n + 1), body('target.id', over))};`,
          'assert.equal(over.status, 409, JSON.stringify(over.body));',
          `assert.match(String(over.body.detail), ${regexLiteral(guard.requirementId)});`,
          `assert.equal((await store().${target.collection}.get(target.id))?.${rule.field}, ${start + rule.sign * by});`,
        ]),
    // Concurrent records against one target: each runs in its own transaction, exactly ten fit.
    `const raced = await seed${target.typeName}(store(), ${n + 2});`,
    `await store().${target.collection}.update(raced.id, { ${rule.field}: ${start} });`,
    `const answers = await Promise.all(Array.from({ length: 13 }, async (_, i) => ${create('raced.id', `${n + 3} + i`, body('raced.id', 1))}));`,
    `assert.equal(answers.filter((a) => a.status === 201).length, 10, JSON.stringify(answers.map((a) => a.status)));`,
    `assert.equal((await store().${target.collection}.get(raced.id))?.${rule.field}, ${guard.value});`,
  ];
}

/**
 * The hold through the API: a taken target cannot be taken again (409) until released; a target
 * not held cannot be released (409); of concurrent takes of one target exactly one wins.
 */
function holdScenario(rule: HoldRuleModel, model: ServiceModel, n: number): string[] {
  const take = model.entities.find((e) => e.key === rule.entity);
  const release = model.entities.find((e) => e.key === rule.release);
  const target = model.entities.find((e) => e.key === rule.target);
  const takeOp = take ? creating(take, model) : null;
  const releaseOp = release ? creating(release, model) : null;
  if (!take || !target || !takeOp) return [];
  const lines = [
    `const target = await seed${target.typeName}(store(), ${n});`,
    `const taken = await ${takeOp('target.id', String(n), '')};`,
    'assert.equal(taken.status, 201, JSON.stringify(taken.body));',
    `const again = await ${takeOp('target.id', String(n + 1), '')};`,
    'assert.equal(again.status, 409, JSON.stringify(again.body));',
    `assert.match(String(again.body.detail), ${regexLiteral(rule.requirementId)});`,
  ];
  if (releaseOp)
    lines.push(
      `const freed = await ${releaseOp('target.id', String(n + 2), '')};`,
      'assert.equal(freed.status, 201, JSON.stringify(freed.body));',
      `const retaken = await ${takeOp('target.id', String(n + 3), '')};`,
      'assert.equal(retaken.status, 201, JSON.stringify(retaken.body));',
      `const idle = await seed${target.typeName}(store(), ${n + 4});`,
      `const notHeld = await ${releaseOp('idle.id', String(n + 5), '')};`,
      'assert.equal(notHeld.status, 409, JSON.stringify(notHeld.body));',
    );
  lines.push(
    `const raced = await seed${target.typeName}(store(), ${n + 6});`,
    `const answers = await Promise.all(Array.from({ length: 5 }, async (_, i) => ${takeOp('raced.id', `${n + 7} + i`, '')}));`,
    `assert.equal(answers.filter((a) => a.status === 201).length, 1, JSON.stringify(answers.map((a) => a.status)));`,
  );
  return lines;
}

/** A value outside the bound is refused (422, naming the requirement) on create or update; nothing changes. */
function valueRuleScenario(rule: ValueRule, model: ServiceModel, n: number): string[] {
  const entity = model.entities.find((e) => e.key === rule.entity);
  const op =
    model.operations.find((o) => o.entity === rule.entity && o.kind === 'create') ??
    model.operations.find((o) => o.entity === rule.entity && o.kind === 'update');
  if (!entity || !op) return [];
  const bad = rule.bound === 'min' ? rule.value - 1 : rule.value + 1;
  const lines =
    op.kind === 'create'
      ? [
          `const refused = await call(service, ${lit(op.method)}, \`${templateText(op.path)}\`, { ...(await ${entity.key}Input(store(), ${n})), ${rule.field}: ${bad} });`,
          'assert.equal(refused.status, 422, JSON.stringify(refused.body));',
          `assert.equal(await store().${entity.collection}.count({ ${rule.field}: ${bad} }), 0);`,
        ]
      : [
          `const seeded = await seed${entity.typeName}(store(), ${n});`,
          `const refused = await call(service, ${lit(op.method)}, \`${pathWith(op, 'seeded.id')}\`, { ...(await ${entity.key}Input(store(), ${n + 1})), ${rule.field}: ${bad} });`,
          'assert.equal(refused.status, 422, JSON.stringify(refused.body));',
          `assert.equal((await store().${entity.collection}.get(seeded.id))?.${rule.field}, seeded.${rule.field});`,
        ];
  return [...lines, `assert.match(String(refused.body.detail), ${regexLiteral(rule.requirementId)});`];
}

export interface PlannedTest {
  name: string;
  requirementIds: string[];
  body: string[];
}

const SAFE_CASE_ID = /^[A-Za-z][A-Za-z0-9._-]{0,40}$/;

/**
 * Free text in a test name: one line, and no brackets, since the testing engine reads every
 * `[REQ-xxx]` in a name as coverage; a case named "… [REQ-009]" must not claim REQ-009.
 */
function nameText(raw: string): string {
  return oneLine(raw, 120).replace(/\[/g, '(').replace(/\]/g, ')');
}

/** `[REQ-001] [REQ-008] TC-001: name`: the testing engine and deploy_verify read ids and tags back from it. */
export function caseTestName(c: TestCaseModel, index: number): string {
  const caseId = SAFE_CASE_ID.test(c.id) ? c.id : `TC-${index + 1}`;
  const tags = c.requirementIds.map((id) => `[${id}]`).join(' ');
  return `${tags} ${caseId}: ${nameText(c.name.replace(/\s+/g, ' '))}`;
}

/** One test per test-plan case (or per requirement without a case), with the scenarios it traces to. */
export function plannedTests(model: ServiceModel): PlannedTest[] {
  const tests: PlannedTest[] = [];
  // Far apart, so a limit scenario's n + i never reuses another scenario's unique values.
  let n = 1000;
  const next = () => {
    n += 1000;
    return n;
  };
  const bodyFor = (reqIds: string[]): string[] => {
    const blocks: string[][] = [];
    for (const id of reqIds) {
      const req = model.requirements.find((r) => r.id === id);
      if (!req) continue;
      const rules = model.rules.filter((r) => r.requirementId === id);
      // A business rule's test is its rule scenario; the operation it guards has its own test.
      const ruleBlocks = rules.map((rule) => ruleScenario(rule, model, next())).filter((b) => b.length > 0);
      if (req.kind === 'business_rule' && ruleBlocks.length > 0) {
        blocks.push(...ruleBlocks);
        continue;
      }
      for (const opId of req.operations) {
        const op = model.operations.find((o) => o.operationId === opId);
        const entity = model.entities.find((e) => e.key === op?.entity);
        if (op && entity) blocks.push(scenario(op, entity, next(), model));
      }
      blocks.push(...ruleBlocks);
    }
    return blocks.filter((b) => b.length > 0).flatMap((b) => ['{', ...b.map((l) => `  ${l}`), '}']);
  };
  const covered = new Set<string>();
  for (const [i, c] of model.testCases.entries()) {
    const body = bodyFor(c.requirementIds);
    if (body.length === 0) continue;
    tests.push({
      name: caseTestName(c, i),
      requirementIds: c.requirementIds,
      body,
    });
    for (const id of c.requirementIds) covered.add(id);
  }
  for (const req of model.requirements) {
    if (covered.has(req.id) || req.kind === 'non_functional' || req.priority === 'wont') continue;
    const body = bodyFor([req.id]);
    if (body.length === 0) continue;
    tests.push({
      name: `[${req.id}] ${nameText(req.text.replace(/\s+/g, ' '))}`,
      requirementIds: [req.id],
      body,
    });
  }
  return tests;
}

export function apiTestTs(model: ServiceModel): string {
  const tests = plannedTests(model);
  const used = (s: string) => tests.some((t) => t.body.some((l) => l.includes(s)));
  const helpers = [
    'call',
    'startTestService',
    ...model.entities.flatMap((e) => [
      `${e.key}Input`,
      `seed${e.typeName}`,
      ...(e.action ? [`${e.key}Body`] : []),
    ]),
  ].filter((h) => h === 'startTestService' || used(`${h}(`) || used(`${h}<`));
  if (used('Json')) helpers.push('type Json');
  const blocks = tests.map(
    (t) => `test(${lit(t.name)}, async () => {
${t.body.map((l) => `  ${l}`).join('\n')}
});`,
  );
  return `import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningService } from '../../src/server.js';
import { ${helpers.sort().join(', ')} } from '../helpers.js';

// One test per test-plan case; the [REQ-xxx] tags in the names trace them to requirements.
let service: RunningService;
const store = () => service.store;

before(async () => {
  service = await startTestService();
});

after(async () => {
  await service.close();
});

${blocks.join('\n\n')}
`;
}

export function platformTestTs(): string {
  return `import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningService } from '../../src/server.js';
import { call, startTestService } from '../helpers.js';

let service: RunningService;

before(async () => {
  service = await startTestService();
});

after(async () => {
  await service.close();
});

test('health answers 200', async () => {
  const health = await call(service, 'GET', '/health');
  assert.equal(health.status, 200);
  assert.equal(health.body.status, 'ok');
});

test('metrics expose request counts and latency in Prometheus format', async () => {
  await call(service, 'GET', '/health');
  const metrics = await call<string>(service, 'GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /# TYPE http_requests_total counter/);
  assert.match(metrics.body, /http_requests_total\\{method="GET",route="\\/health",status="200"\\} \\d+/);
  assert.match(metrics.body, /http_request_duration_seconds_bucket\\{le="\\+Inf",method="GET",route="\\/health"\\}/);
});

test('readiness checks the database; the API document and its docs page are served', async () => {
  assert.equal((await call(service, 'GET', '/ready')).status, 200);
  const doc = await call(service, 'GET', '/openapi.json');
  assert.equal(doc.status, 200);
  assert.match(String(doc.body.openapi), /^3\\.1/);
  assert.equal((await call(service, 'GET', '/docs')).status, 200);
});

test('errors are application/problem+json with a machine-readable code', async () => {
  const res = await fetch(\`\${service.url}/no/such/route\`);
  assert.match(res.headers.get('content-type') ?? '', /application\\/problem\\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.status, 404);
  assert.equal(body.code, 'NOT_FOUND');
});

test('unknown routes answer 404, malformed JSON 400', async () => {
  assert.equal((await call(service, 'GET', '/no/such/route')).status, 404);
  assert.equal((await call(service, 'DELETE', '/health')).status, 404);
});

test('the service process starts, serves and shuts down on SIGTERM', async () => {
  const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_FILE: ':memory:' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(\`no "listening" log line: \${output}\`)), 10_000);
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(String(JSON.parse(line).url));
      }
    });
  });
  const res = await fetch(\`\${url}/health\`);
  assert.equal(res.status, 200);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.match(output, /"msg":"shutting down"/);
});
`;
}

export function validationTestTs(model: ServiceModel): string {
  const imports = model.entities.map(
    (e) => `import { parse${e.typeName}Input } from '../../src/domain/${e.file}.js';`,
  );
  const blocks = model.entities.map((e) => {
    const bad = e.fields.map((f) => `    [${lit(f.name)}, ${badValue(f)}],`).join('\n');
    const required = e.fields.filter((f) => f.required);
    return `test(${lit(`${e.key}: valid input passes validation`)}, async () => {
  const input = await ${e.key}Input(await testStore(), 1);
  assert.deepEqual(parse${e.typeName}Input(input), input);
  assert.deepEqual(parse${e.typeName}Input({}, true), {});
});

test(${lit(`${e.key}: invalid input is refused with a message naming the field`)}, async () => {
  const store = await testStore();
  assert.throws(() => parse${e.typeName}Input(null), /JSON object/);
  assert.throws(() => parse${e.typeName}Input({ __unknown__: 1 }), /unknown field "__unknown__"/);
${required.length > 0 ? `  assert.throws(() => parse${e.typeName}Input({}), /${required[0]!.name}" is required/);\n` : ''}  const cases: [string, unknown][] = [
${bad}
  ];
  for (const [field, value] of cases) {
    const input = { ...(await ${e.key}Input(store, 1)), [field]: value };
    assert.throws(() => parse${e.typeName}Input(input), (err: Error) => err instanceof HttpError && err.status === 400 && err.message.includes(field));
  }
});`;
  });
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
${imports.join('\n')}
import { HttpError } from '../../src/kit/errors.js';
import { ${[...model.entities.map((e) => `${e.key}Input`), 'testStore'].sort().join(', ')} } from '../helpers.js';

${blocks.join('\n\n')}
`;
}

export function rulesTestTs(model: ServiceModel): string {
  const blocks: string[] = [];
  let n = 1000;
  const next = () => {
    n += 10;
    return n;
  };
  for (const e of model.entities) {
    for (const f of e.fields.filter((x) => x.unique)) {
      blocks.push(`test(${lit(`${e.key}.${f.name} must be unique`)}, async () => {
  const store = await testStore();
  const first = await seed${e.typeName}(store, ${next()});
  await assert.rejects(check${e.typeName}(store, { ${f.name}: first.${f.name} }), /unique/);
  await assert.doesNotReject(check${e.typeName}(store, { ${f.name}: first.${f.name} }, first.id));
});`);
    }
    for (const f of e.fields.filter((x) => x.ref)) {
      blocks.push(`test(${lit(`${e.key}.${f.name} must reference an existing record`)}, async () => {
  await assert.rejects(check${e.typeName}(await testStore(), { ${f.name}: 'missing' }), (err: Error) => err instanceof HttpError && err.status === 422);
});`);
    }
  }
  for (const rule of model.rules) {
    const e = model.entities.find((x) => x.key === rule.entity);
    if (!e) continue;
    if (rule.kind === 'value') {
      const [bad, ok, word] =
        rule.bound === 'min'
          ? [rule.value - 1, rule.value + 1, 'at least']
          : [rule.value + 1, rule.value - 1, 'at most'];
      blocks.push(`test(${lit(`[${rule.requirementId}] ${e.key}.${rule.field} must be ${word} ${rule.value}`)}, async () => {
  const store = await testStore();
  await assert.rejects(check${e.typeName}(store, { ${rule.field}: ${bad} }), (err: Error) => err instanceof HttpError && err.status === 422 && err.message.includes(${lit(rule.requirementId)}));
  await assert.doesNotReject(check${e.typeName}(store, { ${rule.field}: ${ok} }));
});`);
      continue;
    }
    if (rule.kind !== 'limit') continue;
    blocks.push(`test(${lit(`[${rule.requirementId}] at most ${rule.max} ${e.collection} per ${rule.perField}`)}, async () => {
  const store = await testStore();
  const holder = (await ${e.key}Input(store, ${next()})).${rule.perField};
  for (let i = 1; i <= ${rule.max}; i++) {
    const input = { ...(await ${e.key}Input(store, ${n} + i)), ${rule.perField}: holder };
    await check${e.typeName}(store, input);
    await store.${e.collection}.create(input);
  }
  await assert.rejects(check${e.typeName}(store, { ...(await ${e.key}Input(store, ${n + 50})), ${rule.perField}: holder }), (err: Error) => err instanceof HttpError && err.status === 409);
});`);
  }
  if (blocks.length === 0)
    blocks.push(
      `test('entities without rules accept any valid input', async () => {\n  assert.ok(await testStore());\n});`,
    );
  const text = blocks.join('\n\n');
  const used = (s: string) => text.includes(s);
  const checks = model.entities.map((e) => `check${e.typeName}`).filter((c) => used(`${c}(`));
  const helpers = [...model.entities.flatMap((e) => [`${e.key}Input`, `seed${e.typeName}`]), 'testStore']
    .filter((h) => used(`${h}(`))
    .sort();
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
${used('HttpError') ? "import { HttpError } from '../../src/kit/errors.js';\n" : ''}${checks.length > 0 ? `import { ${checks.join(', ')} } from '../../src/rules.js';\n` : ''}${helpers.length > 0 ? `import { ${helpers.join(', ')} } from '../helpers.js';\n` : ''}
${text}
`;
}

export function runtimeTestTs(): string {
  return `import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../src/kit/config.js';
import { migrate, openDatabase } from '../../src/kit/db.js';
import { HttpError, toProblem } from '../../src/kit/errors.js';
import { createLogger } from '../../src/kit/logger.js';
import { Metrics } from '../../src/kit/metrics.js';
import { Repository } from '../../src/kit/repository.js';

const things = { name: 'things', columns: { name: 'text', done: 'boolean' } } as const;
const migrations = {
  '0001_things': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable('things')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('createdAt', 'text', (c) => c.notNull())
        .addColumn('updatedAt', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('done', 'boolean')
        .execute();
    },
  },
};

test('repository creates, lists, counts, updates and deletes', async () => {
  const database = await openDatabase({ kind: 'sqlite', file: ':memory:' });
  await migrate(database.db, migrations);
  const repo = new Repository<{ name: string; done?: boolean }>(database.db, database.dialect, { ...things });
  const a = await repo.create({ name: 'a', done: true });
  assert.equal((await repo.get(a.id))?.done, true);
  assert.equal((await repo.update(a.id, { name: 'b' }))?.name, 'b');
  assert.equal(await repo.update('missing', { name: 'x' }), undefined);
  assert.equal(await repo.count({ name: 'b' }), 1);
  assert.equal(await repo.count({ name: 'b' }, a.id), 0);
  assert.equal((await repo.list()).length, 1);
  await assert.rejects(repo.create({ name: 'b' }), (err: unknown) => toProblem(err).status === 409);
  assert.equal(await repo.delete(a.id), true);
  assert.equal(await repo.delete(a.id), false);
  await database.close();
});

test('records are kept in the SQLite file and migrations run once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  try {
    const file = join(dir, 'data', 'service.sqlite');
    const first = await openDatabase({ kind: 'sqlite', file });
    assert.deepEqual(await migrate(first.db, migrations), ['0001_things']);
    const saved = await new Repository<{ name: string }>(first.db, first.dialect, { ...things }).create({ name: 'kept' });
    await first.close();
    const second = await openDatabase({ kind: 'sqlite', file });
    assert.deepEqual(await migrate(second.db, migrations), []);
    const again = await new Repository<{ name: string }>(second.db, second.dialect, { ...things }).get(saved.id);
    assert.equal(again?.name, 'kept');
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics render counters, errors and histograms', async () => {
  const metrics = new Metrics();
  metrics.observe('GET', '/a"b', 200, 0.003);
  metrics.observe('POST', '/a', 500, 0.2);
  const text = await metrics.render();
  assert.match(text, /http_requests_total\\{method="GET",route="\\/a\\\\"b",status="200"\\} 1/);
  assert.match(text, /http_request_errors_total\\{method="POST",route="\\/a"\\} 1/);
  assert.match(text, /http_request_duration_seconds_count\\{method="POST",route="\\/a"\\} 1/);
});

test('errors become problem details with a code', () => {
  assert.deepEqual(toProblem(new HttpError(404, 'NOT_FOUND', 'gone')), {
    type: 'about:blank',
    title: 'Not Found',
    status: 404,
    detail: 'gone',
    code: 'NOT_FOUND',
  });
  assert.equal(toProblem({ code: '23505' }).code, 'DUPLICATE');
  assert.equal(toProblem({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }).status, 409);
  assert.equal(toProblem({ code: '23514' }).status, 422);
  assert.equal(toProblem({ statusCode: 400, message: 'bad' }).code, 'VALIDATION_FAILED');
  assert.equal(toProblem(new Error('boom')).status, 500);
});

test('logger writes one JSON line per entry at or above its level', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('info', sink);
  logger.debug('hidden');
  logger.info({ a: 1 }, 'shown');
  logger.warn('warned');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.deepEqual({ ...first, time: undefined }, { time: undefined, level: 'info', msg: 'shown', a: 1 });
});

test('config reads the environment and refuses a bad one', () => {
  const config = loadConfig({ PORT: '8080', LOG_LEVEL: 'warn', DATA_DIR: '/data' });
  assert.equal(config.port, 8080);
  assert.equal(config.logLevel, 'warn');
  assert.deepEqual(config.database, { kind: 'sqlite', file: '/data/service.sqlite' });
  assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/s' }).database, { kind: 'postgres', url: 'postgres://u@db:5432/s' });
  assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
  assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
});
`;
}

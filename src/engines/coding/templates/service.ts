import { commentText, lit } from '../../shared/escape.js';
import type {
  EffectRuleModel,
  EntityModel,
  FieldModel,
  HoldRuleModel,
  OperationModel,
  RuleModel,
  ServiceModel,
} from '../model.js';

// Spec-independent parts (server, config, logger, metrics, database, errors) are the real files in
// ../kit, copied; what is here depends on the design: tables, migrations, rules and handlers.

// Spec-dependent files of the generated service. Names come from the model (safe identifiers);
// original labels and rule texts only appear through `lit` (escaped string literals) or `commentText`.

function tsType(field: FieldModel): string {
  switch (field.type) {
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'enum':
      return field.enumValues.length > 0 ? field.enumValues.map(lit).join(' | ') : 'string';
    default:
      return 'string';
  }
}

function check(field: FieldModel): string {
  const v = `value`;
  switch (field.type) {
    case 'integer':
      return `Number.isInteger(${v})`;
    case 'number':
      return `typeof ${v} === 'number' && Number.isFinite(${v})`;
    case 'boolean':
      return `typeof ${v} === 'boolean'`;
    case 'date':
      return `typeof ${v} === 'string' && DATE.test(${v}) && !Number.isNaN(Date.parse(${v}))`;
    case 'datetime':
      return `typeof ${v} === 'string' && !Number.isNaN(Date.parse(${v}))`;
    case 'email':
      return `typeof ${v} === 'string' && EMAIL.test(${v})`;
    case 'url':
      return `typeof ${v} === 'string' && isHttpUrl(${v})`;
    case 'enum':
      return field.enumValues.length > 0
        ? `typeof ${v} === 'string' && ${field.name.toUpperCase()}_VALUES.includes(${v})`
        : `typeof ${v} === 'string'`;
    case 'text':
      return `typeof ${v} === 'string' && ${v}.trim().length > 0 && ${v}.length <= 10_000`;
    default:
      return `typeof ${v} === 'string' && ${v}.trim().length > 0 && ${v}.length <= 500`;
  }
}

function expectation(field: FieldModel): string {
  const map: Record<string, string> = {
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    date: 'a date (YYYY-MM-DD)',
    datetime: 'an ISO date-time',
    email: 'an email address',
    url: 'an http(s) URL',
    text: 'a non-empty text',
    enum: field.enumValues.length > 0 ? `one of ${field.enumValues.join(', ')}` : 'a string',
  };
  return map[field.type] ?? 'a non-empty string of at most 500 characters';
}

export function domainTs(entity: EntityModel): string {
  const fields = entity.fields;
  const needs = (t: string) => fields.some((f) => f.type === t);
  const consts = [
    needs('date') ? `const DATE = /^\\d{4}-\\d{2}-\\d{2}$/;` : '',
    needs('email') ? `const EMAIL = /^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$/;` : '',
    ...fields
      .filter((f) => f.type === 'enum' && f.enumValues.length > 0)
      .map(
        (f) =>
          `const ${f.name.toUpperCase()}_VALUES: readonly string[] = [${f.enumValues.map(lit).join(', ')}];`,
      ),
  ].filter(Boolean);
  const urlHelper = needs('url')
    ? `
function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
`
    : '';
  const props = fields
    .map((f) => `  /** ${commentText(f.label)} */\n  ${f.name}${f.required ? '' : '?'}: ${tsType(f)};`)
    .join('\n');
  const checks = fields
    .map(
      (f) => `  {
    name: ${lit(f.name)},
    required: ${f.required},
    valid: (value) => ${check(f)},
    expected: ${lit(expectation(f))},
  },`,
    )
    .join('\n');
  // An entity the text names without fields: an empty interface would be \`{}\` (anything), so say "no fields".
  const shape =
    fields.length > 0
      ? `export interface ${entity.typeName}Input {\n${props}\n}`
      : `export type ${entity.typeName}Input = Record<string, never>;`;
  return `import { HttpError } from '../kit/errors.js';

/** ${commentText(entity.label)} */
${shape}

interface FieldCheck {
  name: string;
  required: boolean;
  valid: (value: unknown) => boolean;
  expected: string;
}
${consts.length > 0 ? `\n${consts.join('\n')}\n` : ''}${urlHelper}
const FIELDS: FieldCheck[] = [
${checks}
];

/**
 * Validates a request body. \`partial\` (PATCH) lets required fields be absent.
 * Throws a 400 naming every offending field.
 */
export function parse${entity.typeName}Input(body: unknown, partial = false): ${entity.typeName}Input {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'request body must be a JSON object');
  }
  const input = body as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set(FIELDS.map((f) => f.name));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) problems.push(\`unknown field "\${key}"\`);
  }
  const result: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = input[field.name];
    if (value === undefined || value === null) {
      if (field.required && !partial) problems.push(\`"\${field.name}" is required\`);
      continue;
    }
    if (!field.valid(value)) problems.push(\`"\${field.name}" must be \${field.expected}\`);
    else result[field.name] = value;
  }
  if (problems.length > 0) throw new HttpError(400, 'VALIDATION_FAILED', problems.join('; '));
  return result as unknown as ${entity.typeName}Input;
}
`;
}

function columnKind(field: FieldModel): 'text' | 'integer' | 'number' | 'boolean' {
  if (field.type === 'integer' || field.type === 'number' || field.type === 'boolean') return field.type;
  return 'text';
}

export function storeTs(model: ServiceModel): string {
  const imports = model.entities
    .map((e) => `import type { ${e.typeName}Input } from '../domain/${e.file}.js';`)
    .join('\n');
  const tables = model.entities
    .map((e) => {
      const cols = e.fields.map((f) => `${f.name}: ${lit(columnKind(f))}`).join(', ');
      return `  ${e.collection}: { name: ${lit(e.collection)}, columns: { ${cols} } },`;
    })
    .join('\n');
  const fields = model.entities.map((e) => `  ${e.collection}: Repository<${e.typeName}Input>;`).join('\n');
  const inits = model.entities
    .map(
      (e) => `    ${e.collection}: new Repository<${e.typeName}Input>(db, dialect, TABLES.${e.collection}),`,
    )
    .join('\n');
  return `${imports}
import type { Db, Dialect } from '../kit/db.js';
import { Repository, type TableSpec } from '../kit/repository.js';

/** One table per entity; migrations/0001_init.ts creates them. */
export const TABLES = {
${tables}
} satisfies Record<string, TableSpec>;

/** One repository per entity, bound to a connection or to one request's transaction. */
export interface Store {
${fields}
}

export function createStore(${model.entities.length > 0 ? 'db' : '_db'}: Db, ${model.entities.length > 0 ? 'dialect' : '_dialect'}: Dialect): Store {
  return {
${inits}
  };
}
`;
}

/** Entities in an order where every referenced table comes first (reference cycles are already broken). */
function byReferences(model: ServiceModel): EntityModel[] {
  const out: EntityModel[] = [];
  const visit = (e: EntityModel, depth: number) => {
    if (out.includes(e) || depth > model.entities.length) return;
    for (const f of e.fields) {
      const target = model.entities.find((x) => x.key === f.ref);
      if (target && target !== e) visit(target, depth + 1);
    }
    if (!out.includes(e)) out.push(e);
  };
  for (const e of model.entities) visit(e, 0);
  return out;
}

const SQL_TYPE: Record<ReturnType<typeof columnKind>, string> = {
  text: `'text'`,
  integer: `'integer'`,
  number: 'sql`double precision`',
  boolean: `'boolean'`,
};

/** The first migration: the design's tables with their unique, foreign-key and check constraints. */
export function initMigrationTs(model: ServiceModel): string {
  let usesSql = false;
  const tables = byReferences(model).map((e) => {
    const cols = e.fields.map((f) => {
      const mods: string[] = [];
      if (f.required) mods.push('.notNull()');
      if (f.unique) mods.push('.unique()');
      const target = model.entities.find((x) => x.key === f.ref);
      if (target) mods.push(`.references(${lit(`${target.collection}.id`)})`);
      const checks: string[] = [];
      if (f.type === 'enum' && f.enumValues.length > 0) {
        checks.push(
          `\${sql.ref(${lit(f.name)})} in (\${sql.join([${f.enumValues.map((v) => `sql.lit(${lit(v)})`).join(', ')}])})`,
        );
      }
      for (const r of model.rules) {
        if (r.kind !== 'value' || r.entity !== e.key || r.field !== f.name || !Number.isFinite(r.value))
          continue;
        checks.push(`\${sql.ref(${lit(f.name)})} ${r.bound === 'min' ? '>=' : '<='} ${r.value}`);
      }
      if (checks.length > 0) mods.push(`.check(sql\`${checks.join(' and ')}\`)`);
      const type = SQL_TYPE[columnKind(f)];
      if (checks.length > 0 || type.startsWith('sql')) usesSql = true;
      return `    .addColumn(${lit(f.name)}, ${type}${mods.length > 0 ? `, (c) => c${mods.join('')}` : ''})`;
    });
    return `  await db.schema
    .createTable(${lit(e.collection)})
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('createdAt', 'text', (c) => c.notNull())
    .addColumn('updatedAt', 'text', (c) => c.notNull())
${cols.length > 0 ? `${cols.join('\n')}\n` : ''}    .execute();`;
  });
  const drops = byReferences(model)
    .reverse()
    .map((e) => `  await db.schema.dropTable(${lit(e.collection)}).execute();`);
  const used = model.entities.length > 0 ? 'db' : '_db';
  return `import { type Kysely${usesSql ? ', sql' : ''} } from 'kysely';

// The design's first schema. A later design adds 0002_…, never edits this file: databases that ran it keep their data.

export async function up(${used}: Kysely<unknown>): Promise<void> {
${tables.join('\n')}
}

export async function down(${used}: Kysely<unknown>): Promise<void> {
${drops.join('\n')}
}
`;
}

export function migrationsIndexTs(): string {
  return `import type { Migration } from 'kysely';
import * as init from './0001_init.js';

/** Every migration by name; applied in name order at start (Kysely's Migrator records what ran). */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
};
`;
}

function ruleFn(entity: EntityModel, rules: RuleModel[], model: ServiceModel): string {
  const T = entity.typeName;
  const body: string[] = [];
  for (const f of entity.fields.filter((x) => x.unique)) {
    body.push(`  if (input.${f.name} !== undefined && (await store.${entity.collection}.count({ ${f.name}: input.${f.name} }, currentId)) > 0) {
    throw new HttpError(409, 'DUPLICATE', ${lit(`${f.name} must be unique: another ${entity.key} already has this value`)});
  }`);
  }
  for (const f of entity.fields.filter((x) => x.ref !== null)) {
    const target = model.entities.find((e) => e.key === f.ref);
    if (!target) continue;
    body.push(`  if (input.${f.name} !== undefined && !(await store.${target.collection}.get(String(input.${f.name})))) {
    throw new HttpError(422, 'UNKNOWN_REFERENCE', ${lit(`${f.name} does not name an existing ${target.key}`)});
  }`);
  }
  for (const r of rules) {
    const why = `  // ${commentText(`${r.requirementId}: ${r.text.trim()}`)}`;
    if (r.kind === 'value') {
      const [op, word] = r.bound === 'min' ? ['<', 'at least'] : ['>', 'at most'];
      body.push(`${why}
  if (input.${r.field} !== undefined && input.${r.field} ${op} ${r.value}) {
    throw new HttpError(422, 'RULE_VIOLATED', ${lit(`${r.requirementId}: ${r.field} must be ${word} ${r.value}`)});
  }`);
      continue;
    }
    if (r.kind === 'hold') {
      body.push(holdCheck(r, entity, model, 'take'));
      continue;
    }
    if (r.kind !== 'limit') continue;
    const counted = entity.action ? `${entity.action.verb} records` : entity.collection;
    // Read and written in the request's transaction: concurrent requests cannot both see room for one more.
    body.push(`${why}
  if (currentId === undefined && input.${r.perField} !== undefined) {
    const held = await store.${entity.collection}.count({ ${r.perField}: input.${r.perField} });
    if (held >= ${r.max}) {
      throw new HttpError(409, 'RULE_VIOLATED', ${lit(`${r.requirementId}: at most ${r.max} ${counted} per ${r.perField.replace(/Id$/, '')}`)});
    }
  }`);
  }
  for (const r of model.rules) {
    if (r.kind === 'hold' && r.release === entity.key) body.push(holdCheck(r, entity, model, 'release'));
  }
  const used = body.length > 0;
  return `/** Business rules for ${entity.key}: uniqueness (409), references (422), limits and holds (409), value bounds (422). */
export async function check${T}(${used ? 'store' : '_store'}: Store, ${used ? 'input' : '_input'}: Partial<${T}Input>, ${used ? 'currentId' : '_currentId'}?: string): Promise<void> {
${body.join('\n')}
}`;
}

/** The message of a refusal: the rule's requirement id and its sentence, in the requirement's language. */
function ruleMessage(rule: { requirementId: string; text: string }): string {
  return lit(`${rule.requirementId}: ${rule.text.trim()}`);
}

/**
 * Held = more take records than release records for the target; both counted in the request's
 * transaction, so two concurrent takes cannot both see it free.
 */
function holdCheck(
  rule: HoldRuleModel,
  record: EntityModel,
  model: ServiceModel,
  side: 'take' | 'release',
): string {
  const take = model.entities.find((e) => e.key === rule.entity);
  const release = model.entities.find((e) => e.key === rule.release);
  const field = record.action?.targetField;
  if (!take?.action || !field) return '';
  const released = release?.action
    ? `await store.${release.collection}.count({ ${release.action.targetField}: input.${field} })`
    : '0';
  const refusal =
    side === 'take'
      ? `if (taken > released) throw new HttpError(409, 'ALREADY_HELD', ${ruleMessage(rule)});`
      : `if (taken <= released) throw new HttpError(409, 'NOT_HELD', ${ruleMessage(rule)});`;
  return `  // ${commentText(`${rule.requirementId}: ${rule.text.trim()}`)}
  if (currentId === undefined && input.${field} !== undefined) {
    const taken = await store.${take.collection}.count({ ${take.action.targetField}: input.${field} });
    const released = ${released};
    ${refusal}
  }`;
}

/** Bounds of the target field guarding an effect: its value rules, refused as 409 since the record is fine. */
function effectGuards(rule: EffectRuleModel, model: ServiceModel): string[] {
  return model.rules.flatMap((g) =>
    g.kind === 'value' && g.entity === rule.target && g.field === rule.field
      ? [
          `      if (next ${g.bound === 'min' ? '<' : '>'} ${g.value}) throw new HttpError(409, 'RULE_VIOLATED', ${ruleMessage(g)});`,
        ]
      : [],
  );
}

/** `applySaleEffects`: what creating the record changes in the records it references. */
function effectsFn(entity: EntityModel, model: ServiceModel): string {
  const effects = model.rules.filter(
    (r): r is EffectRuleModel => r.kind === 'effect' && r.entity === entity.key,
  );
  if (effects.length === 0) return '';
  const blocks = effects.map((r) => {
    const target = model.entities.find((e) => e.key === r.target)!;
    const current = target.fields.find((f) => f.name === r.field)?.required
      ? `target.${r.field}`
      : `(target.${r.field} ?? 0)`;
    const by = r.amount === null ? '1' : `input.${r.amount}`;
    return `  // ${commentText(`${r.requirementId}: ${r.text.trim()}`)}
  {
    const target = await store.${target.collection}.get(String(input.${r.refField}));
    if (target) {
      const next = ${current} ${r.sign < 0 ? '-' : '+'} ${by};
${effectGuards(r, model).join('\n')}
      await store.${target.collection}.update(target.id, { ${r.field}: next });
    }
  }`;
  });
  return `

/** What creating a ${entity.key} changes in the records it references; runs in the request's transaction. */
export async function apply${entity.typeName}Effects(store: Store, input: ${entity.typeName}Input): Promise<void> {
${blocks.join('\n')}
}`;
}

export function rulesTs(model: ServiceModel): string {
  const imports = model.entities
    .map((e) => `import type { ${e.typeName}Input } from './domain/${e.file}.js';`)
    .join('\n');
  const fns = model.entities
    .map(
      (e) =>
        ruleFn(
          e,
          model.rules.filter((r) => r.entity === e.key),
          model,
        ) + effectsFn(e, model),
    )
    .join('\n\n');
  const usesError = fns.includes('HttpError(');
  return `${imports}
${usesError ? "import { HttpError } from './kit/errors.js';\n" : ''}import type { Store } from './storage/store.js';

${fns}
`;
}

/** The call of the entity's effects in a create handler, or nothing when it has none. */
function applyEffects(entity: EntityModel, model: ServiceModel): string {
  return model.rules.some((r) => r.kind === 'effect' && r.entity === entity.key)
    ? `    await apply${entity.typeName}Effects(store, input);\n`
    : '';
}

function handler(op: OperationModel, entity: EntityModel | undefined, model: ServiceModel): string {
  const reqs = op.requirementIds.length > 0 ? `  // ${commentText(op.requirementIds.join(', '), 400)}\n` : '';
  const sig = (parts: string[]) =>
    `${reqs}  async ${op.operationId}(${parts.length > 0 ? `{ ${parts.join(', ')} }: Context` : '_ctx: Context'}): Promise<Reply> {`;
  if (!entity || op.kind === 'unsupported') {
    return `${sig([])}
    throw new HttpError(501, 'NOT_IMPLEMENTED', ${lit(`${op.method} ${op.path} is not implemented yet`)});
  },`;
  }
  const T = entity.typeName;
  const repo = `store.${entity.collection}`;
  const idParam = op.path.match(/\{([A-Za-z_][A-Za-z0-9_]*)\}/)?.[1] ?? 'id';
  const id = `params[${lit(idParam)}] ?? ''`;
  const notFound = `throw new HttpError(404, 'NOT_FOUND', ${lit(`${entity.key} not found`)});`;
  switch (op.kind) {
    case 'list':
      return `${sig(['store'])}
    return { status: 200, body: await ${repo}.list() };
  },`;
    case 'create':
      return `${sig(['body', 'store'])}
    const input = parse${T}Input(body);
    await check${T}(store, input);
${applyEffects(entity, model)}    return { status: 201, body: await ${repo}.create(input) };
  },`;
    case 'get':
      return `${sig(['params', 'store'])}
    const item = await ${repo}.get(${id});
    if (!item) ${notFound}
    return { status: 200, body: item };
  },`;
    case 'update':
      return `${sig(['params', 'body', 'store'])}
    const id = ${id};
    if (!(await ${repo}.get(id))) ${notFound}
    const input = parse${T}Input(body, ${op.method === 'PATCH'});
    await check${T}(store, input, id);
    return { status: 200, body: await ${repo}.update(id, input) };
  },`;
    case 'delete':
      return `${sig(['params', 'store'])}
    if (!(await ${repo}.delete(${id}))) ${notFound}
    return { status: 204 };
  },`;
    case 'listChildren':
      return `${sig(['params', 'store'])}
    const parentId = ${id};
    return { status: 200, body: await ${repo}.list({ ${op.parentField}: parentId }) };
  },`;
    case 'action': {
      const record = model.entities.find((e) => e.key === op.record && e.action);
      if (!record?.action) return '';
      const R = record.typeName;
      const target = record.action.targetField;
      // Only read a body when the action takes one (`{ memberId }`); `reserve` by an anonymous actor has none.
      const takesBody = record.fields.length > 1;
      const input = takesBody
        ? `const input = parse${R}Input(typeof body === 'object' && body !== null ? { ...body, ${target} } : body);`
        : `const input = parse${R}Input({ ${target} });`;
      return `${sig(takesBody ? ['params', 'body', 'store'] : ['params', 'store'])}
    const ${target} = ${id};
    if (!(await ${repo}.get(${target}))) ${notFound}
    ${input}
    await check${R}(store, input);
${applyEffects(record, model)}    return { status: 201, body: await store.${record.collection}.create(input) };
  },`;
    }
    case 'createChild':
      return `${sig(['params', 'body', 'store'])}
    const input = parse${T}Input(typeof body === 'object' && body !== null ? { ...body, ${op.parentField}: ${id} } : body);
    await check${T}(store, input);
${applyEffects(entity, model)}    return { status: 201, body: await ${repo}.create(input) };
  },`;
  }
}

export function routesTs(model: ServiceModel, entity: EntityModel): string {
  const ops = model.operations.filter((o) => o.entity === entity.key);
  const code = ops.map((o) => handler(o, entity, model));
  const needs = (s: string) => code.some((c) => c.includes(s));
  // This entity and the action records its routes store, in a stable order.
  const handled = model.entities.filter(
    (e) => e === entity || (e.action !== null && ops.some((o) => o.record === e.key)),
  );
  const checks = handled
    .flatMap((e) => [`check${e.typeName}`, `apply${e.typeName}Effects`])
    .filter((c) => needs(`${c}(`));
  const domain = handled
    .filter((e) => needs(`parse${e.typeName}Input(`))
    .map((e) => `import { parse${e.typeName}Input } from '../domain/${e.file}.js';\n`)
    .join('');
  return `${domain}${needs('HttpError(') ? "import { HttpError } from '../kit/errors.js';\n" : ''}import type { Reply, RequestContext } from '../kit/server.js';
${checks.length > 0 ? `import { ${checks.join(', ')} } from '../rules.js';\n` : ''}import type { Store } from '../storage/store.js';

type Context = RequestContext<Store>;

/** Handlers for ${commentText(entity.label)}, one per API operation; each runs in its request's transaction. */
export function ${entity.key}Handlers() {
  return {
${code.join('\n')}
  };
}
`;
}

export function routeTableTs(model: ServiceModel): string {
  const withEntity = model.entities.filter((e) => model.operations.some((o) => o.entity === e.key));
  const orphans = model.operations.filter((o) => !o.entity || !withEntity.some((e) => e.key === o.entity));
  const imports = withEntity.map((e) => `import { ${e.key}Handlers } from './${e.file}.js';`).join('\n');
  const consts = withEntity.map((e) => `  const ${e.key} = ${e.key}Handlers();`).join('\n');
  const rows = model.operations
    .map((o) => {
      const owner = o.entity && withEntity.some((e) => e.key === o.entity) ? o.entity : null;
      const fn = owner
        ? `${owner}.${o.operationId}`
        : `tools.notImplemented(${lit(`${o.method} ${o.path}`)})`;
      return `    { method: ${lit(o.method)}, path: ${lit(o.path)}, operationId: ${lit(o.operationId)}, handler: ${fn} },`;
    })
    .join('\n');
  return `import type { Route, RouteTools } from '../kit/server.js';
import type { Store } from '../storage/store.js';
${imports}

/** Every operation of the API document, in its order. */
export function routes(${orphans.length > 0 ? 'tools' : '_tools'}: RouteTools<Store>): Route<Store>[] {
${consts}
  return [
${rows}
  ];
}
`;
}

export function openapiTs(model: ServiceModel): string {
  return `// The design's OpenAPI document, as the architecture stage wrote it; served at GET /openapi.json.
export const openapi: Record<string, unknown> = ${JSON.stringify(model.openapi, null, 2)};
`;
}

export function serverTs(): string {
  return `import { type RunningService as KitService, type ServiceDefinition, type StartOptions, startService } from './kit/server.js';
import { migrations } from './migrations/index.js';
import { openapi } from './openapi.js';
import { routes } from './routes/index.js';
import { createStore, type Store } from './storage/store.js';

/** The service as the kit runs it: its tables, migrations, routes and API document. */
export const definition: ServiceDefinition<Store> = { migrations, createStore, routes, openapi };

export type RunningService = KitService<Store>;

/** Opens the database (SQLite in memory unless \`database\` says otherwise), migrates, listens. */
export function startServer(options: StartOptions = {}): Promise<RunningService> {
  return startService(definition, options);
}
`;
}

export function mainTs(): string {
  return `import { loadConfig } from './kit/config.js';
import { createLogger } from './kit/logger.js';
import { closeOnSignals } from './kit/server.js';
import { startServer } from './server.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const service = await startServer({ host: config.host, port: config.port, logger, database: config.database });
// Graceful shutdown: stop accepting connections, let requests in flight finish, close the database.
closeOnSignals(service.close, logger, config.shutdownTimeoutMs);
`;
}

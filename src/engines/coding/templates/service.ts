import { commentText, lit } from '../../shared/escape.js';
import type { EntityModel, FieldModel, OperationModel, RuleModel, ServiceModel } from '../model.js';

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
  return `import { HttpError } from '../http.js';

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

export function storeTs(model: ServiceModel): string {
  const imports = model.entities
    .map((e) => `import type { ${e.typeName}Input } from '../domain/${e.file}.js';`)
    .join('\n');
  const fields = model.entities.map((e) => `  ${e.collection}: Repository<${e.typeName}Input>;`).join('\n');
  const inits = model.entities
    .map(
      (e) =>
        `    ${e.collection}: new InMemoryRepository<${e.typeName}Input>(${lit(e.collection)}, persistence),`,
    )
    .join('\n');
  return `${imports}
import { InMemoryRepository, JsonFilePersistence, type Repository } from './repository.js';

/** One repository per entity. */
export interface Store {
${fields}
}

export function createStore(dataFile?: string): Store {
  const persistence = dataFile ? new JsonFilePersistence(dataFile) : undefined;
  return {
${inits}
  };
}
`;
}

function ruleFn(entity: EntityModel, rules: RuleModel[], model: ServiceModel): string {
  const T = entity.typeName;
  const body: string[] = [];
  for (const f of entity.fields.filter((x) => x.unique)) {
    body.push(`  if (input.${f.name} !== undefined) {
    const taken = store.${entity.collection}.count((item) => item.${f.name} === input.${f.name} && item.id !== currentId);
    if (taken > 0) {
      throw new HttpError(409, 'DUPLICATE', ${lit(`${f.name} must be unique: another ${entity.key} already has this value`)});
    }
  }`);
  }
  for (const f of entity.fields.filter((x) => x.ref !== null)) {
    const target = model.entities.find((e) => e.key === f.ref);
    if (!target) continue;
    body.push(`  if (input.${f.name} !== undefined && !store.${target.collection}.get(String(input.${f.name}))) {
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
    const counted = entity.action ? `${entity.action.verb} records` : entity.collection;
    body.push(`${why}
  if (currentId === undefined && input.${r.perField} !== undefined) {
    const held = store.${entity.collection}.count((item) => item.${r.perField} === input.${r.perField});
    if (held >= ${r.max}) {
      throw new HttpError(409, 'RULE_VIOLATED', ${lit(`${r.requirementId}: at most ${r.max} ${counted} per ${r.perField.replace(/Id$/, '')}`)});
    }
  }`);
  }
  const used = body.length > 0;
  return `/** Business rules for ${entity.key}: uniqueness (409), references (422), limits (409), value bounds (422). */
export function check${T}(${used ? 'store' : '_store'}: Store, ${used ? 'input' : '_input'}: Partial<${T}Input>, ${used ? 'currentId' : '_currentId'}?: string): void {
${body.join('\n')}
}`;
}

export function rulesTs(model: ServiceModel): string {
  const imports = model.entities
    .map((e) => `import type { ${e.typeName}Input } from './domain/${e.file}.js';`)
    .join('\n');
  const fns = model.entities
    .map((e) =>
      ruleFn(
        e,
        model.rules.filter((r) => r.entity === e.key),
        model,
      ),
    )
    .join('\n\n');
  return `${imports}
import { HttpError } from './http.js';
import type { Store } from './storage/store.js';

${fns}
`;
}

function handler(op: OperationModel, entity: EntityModel | undefined, model: ServiceModel): string {
  const reqs = op.requirementIds.length > 0 ? `  // ${commentText(op.requirementIds.join(', '), 400)}\n` : '';
  const head = `${reqs}  async ${op.operationId}({ req, res, params }: RouteContext): Promise<void> {`;
  if (!entity || op.kind === 'unsupported') {
    return `${reqs}  async ${op.operationId}({ res }: RouteContext): Promise<void> {
    sendJson(res, 501, { error: { code: 'NOT_IMPLEMENTED', message: ${lit(`${op.method} ${op.path} is not implemented yet`)} } });
  },`;
  }
  const T = entity.typeName;
  const repo = `store.${entity.collection}`;
  const idParam = op.path.match(/\{([A-Za-z_][A-Za-z0-9_]*)\}/)?.[1] ?? 'id';
  const id = `params[${lit(idParam)}] ?? ''`;
  const notFound = `throw new HttpError(404, 'NOT_FOUND', ${lit(`${entity.key} not found`)});`;
  switch (op.kind) {
    case 'list':
      return `${reqs}  async ${op.operationId}({ res }: RouteContext): Promise<void> {
    sendJson(res, 200, ${repo}.list());
  },`;
    case 'create':
      return `${reqs}  async ${op.operationId}({ req, res }: RouteContext): Promise<void> {
    const input = parse${T}Input(await readJson(req));
    check${T}(store, input);
    sendJson(res, 201, ${repo}.create(input));
  },`;
    case 'get':
      return `${reqs}  async ${op.operationId}({ res, params }: RouteContext): Promise<void> {
    const item = ${repo}.get(${id});
    if (!item) ${notFound}
    sendJson(res, 200, item);
  },`;
    case 'update':
      return `${head}
    const id = ${id};
    if (!${repo}.get(id)) ${notFound}
    const input = parse${T}Input(await readJson(req), ${op.method === 'PATCH'});
    check${T}(store, input, id);
    sendJson(res, 200, ${repo}.update(id, input));
  },`;
    case 'delete':
      return `${reqs}  async ${op.operationId}({ res, params }: RouteContext): Promise<void> {
    if (!${repo}.delete(${id})) ${notFound}
    res.writeHead(204).end();
  },`;
    case 'listChildren':
      return `${reqs}  async ${op.operationId}({ res, params }: RouteContext): Promise<void> {
    const parentId = ${id};
    sendJson(res, 200, ${repo}.list((item) => item.${op.parentField} === parentId));
  },`;
    case 'action': {
      const record = model.entities.find((e) => e.key === op.record && e.action);
      if (!record?.action) return '';
      const R = record.typeName;
      const target = record.action.targetField;
      // Only read a body when the action takes one (`{ memberId }`); `reserve` by an anonymous actor has none.
      const input =
        record.fields.length > 1
          ? `const body = await readJson(req);
    const input = parse${R}Input(typeof body === 'object' && body !== null ? { ...body, ${target} } : body);`
          : `const input = parse${R}Input({ ${target} });`;
      return `${record.fields.length > 1 ? head : `${reqs}  async ${op.operationId}({ res, params }: RouteContext): Promise<void> {`}
    const ${target} = ${id};
    if (!${repo}.get(${target})) ${notFound}
    ${input}
    check${R}(store, input);
    sendJson(res, 201, store.${record.collection}.create(input));
  },`;
    }
    case 'createChild':
      return `${head}
    const body = await readJson(req);
    const input = parse${T}Input(typeof body === 'object' && body !== null ? { ...body, ${op.parentField}: ${id} } : body);
    check${T}(store, input);
    sendJson(res, 201, ${repo}.create(input));
  },`;
  }
}

export function routesTs(model: ServiceModel, entity: EntityModel): string {
  const ops = model.operations.filter((o) => o.entity === entity.key);
  const code = ops.map((o) => handler(o, entity, model));
  const needs = (s: string) => code.some((c) => c.includes(s));
  const httpImports = ['HttpError', 'readJson', 'sendJson'].filter((n) => needs(`${n}(`));
  // This entity and the action records its routes store, in a stable order.
  const handled = model.entities.filter(
    (e) => e === entity || (e.action !== null && ops.some((o) => o.record === e.key)),
  );
  const checks = handled.map((e) => `check${e.typeName}`).filter((c) => needs(`${c}(`));
  const domain = handled
    .filter((e) => needs(`parse${e.typeName}Input(`))
    .map((e) => `import { parse${e.typeName}Input } from '../domain/${e.file}.js';\n`)
    .join('');
  return `${domain}${httpImports.length > 0 ? `import { ${httpImports.join(', ')} } from '../http.js';\n` : ''}${checks.length > 0 ? `import { ${checks.join(', ')} } from '../rules.js';\n` : ''}import type { RouteContext } from '../router.js';
import type { Store } from '../storage/store.js';

/** Handlers for ${commentText(entity.label)}, one per API operation. */
export function ${entity.key}Handlers(store: Store) {
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
  const consts = withEntity.map((e) => `  const ${e.key} = ${e.key}Handlers(store);`).join('\n');
  const rows = model.operations
    .map((o) => {
      const owner = o.entity && withEntity.some((e) => e.key === o.entity) ? o.entity : null;
      const fn = owner ? `${owner}.${o.operationId}` : `notImplemented(${lit(`${o.method} ${o.path}`)})`;
      return `    { method: ${lit(o.method)}, path: ${lit(o.path)}, operationId: ${lit(o.operationId)}, handler: ${fn} },`;
    })
    .join('\n');
  const orphanHelper =
    orphans.length > 0
      ? `
function notImplemented(what: string): Route['handler'] {
  return async ({ res }) => sendJson(res, 501, { error: { code: 'NOT_IMPLEMENTED', message: \`\${what} is not implemented yet\` } });
}
`
      : '';
  return `${orphans.length > 0 ? "import { sendJson } from '../http.js';\n" : ''}import type { Route } from '../router.js';
import type { Store } from '../storage/store.js';
${imports}
${orphanHelper}
/** Every operation of the API document, in its order. */
export function routes(store: Store): Route[] {
${consts}
  return [
${rows}
  ];
}
`;
}

export function serverTs(): string {
  return `import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, sendJson, sendText } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { matchRoute, type Route } from './router.js';
import { routes } from './routes/index.js';
import { createStore, type Store } from './storage/store.js';

export interface AppOptions {
  store?: Store;
  logger?: Logger;
  metrics?: Metrics;
}

export interface App {
  store: Store;
  metrics: Metrics;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createApp(options: AppOptions = {}): App {
  const store = options.store ?? createStore();
  const logger = options.logger ?? createLogger('silent');
  const metrics = options.metrics ?? new Metrics();
  const table: Route[] = routes(store);
  const started = Date.now();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const begin = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    let route = 'unmatched';
    try {
      if (method === 'GET' && url.pathname === '/health') {
        route = '/health';
        sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) });
      } else if (method === 'GET' && url.pathname === '/metrics') {
        route = '/metrics';
        sendText(res, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      } else {
        const match = matchRoute(table, method, url.pathname);
        route = match.route.path;
        await match.route.handler({ req, res, params: match.params, query: url.searchParams });
      }
    } catch (err) {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: { code: err.code, message: err.message } });
      } else {
        logger.error('request failed', { method, path: url.pathname, error: String(err) });
        sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal server error' } });
      }
    } finally {
      const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
      metrics.observe(method, route, res.statusCode, seconds);
      logger.info('request', { method, route, status: res.statusCode, ms: Math.round(seconds * 1000) });
    }
  }

  return { store, metrics, handle };
}

export interface StartOptions extends AppOptions {
  host?: string;
  port?: number;
  dataFile?: string;
}

export interface RunningService {
  app: App;
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger('silent');
  const app = createApp({ ...options, logger, store: options.store ?? createStore(options.dataFile) });
  const server = createServer((req, res) => {
    void app.handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  const url = \`http://\${host}:\${port}\`;
  logger.info('listening', { url, port });
  return {
    app,
    server,
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
`;
}

/**
 * Fastify route schemas from the service's own OpenAPI document: the request body (requestBody,
 * application/json), the path parameters and the query string of each operation. Fastify validates
 * requests with Ajv (draft-07, plus ajv-formats); the document is OpenAPI 3.1 (JSON Schema 2020-12) or,
 * hand-written, 3.0. What differs is bridged here: `$ref`s into the document become `#/definitions/…`
 * of one self-contained schema per route part (recursive schemas included), `$schema`/`$id` are dropped
 * (they would move the base of those references), `prefixItems` becomes draft-07 `items`, 3.0's boolean
 * `exclusiveMinimum`/`exclusiveMaximum` become numbers, and a readOnly property is not required in a
 * request (OpenAPI: "required takes effect on the response only"). Unknown keywords are ignored (Ajv
 * runs with strict: false), unknown formats are logged and ignored; a schema Ajv still cannot compile is
 * left out by the server, which logs it, instead of failing to start.
 */

export type JsonSchema = Record<string, unknown>;

/** Scalar types query and path values (always strings on the wire) are converted to before validation. */
export type Coercion = 'integer' | 'number' | 'boolean' | 'array:integer' | 'array:number' | 'array:boolean';

export interface DerivedSchemas {
  schema: { body?: JsonSchema; params?: JsonSchema; querystring?: JsonSchema };
  /** Per parameter name, the type its string value is converted to (strings stay strings). */
  coerce: { params: Record<string, Coercion>; querystring: Record<string, Coercion> };
}

export interface RouteRef {
  method: string;
  /** OpenAPI-style path, e.g. /books/{id}. */
  path: string;
  operationId?: string;
}

type Obj = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Methods Fastify refuses a body schema on. */
const BODYLESS = new Set(['GET', 'HEAD']);

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value a local reference (`#/components/schemas/Book`) points at in the document; undefined if none. */
function pointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const fragment = ref.slice(1);
  if (fragment === '') return doc;
  if (!fragment.startsWith('/')) return undefined;
  let at: unknown = doc;
  for (const raw of fragment.slice(1).split('/')) {
    let part: string;
    try {
      part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    } catch {
      return undefined;
    }
    if (Array.isArray(at)) at = at[Number(part)];
    else if (isObj(at) && Object.hasOwn(at, part)) at = at[part];
    else return undefined;
  }
  return at;
}

/** Follows `$ref`s of non-schema objects (parameters, request bodies, path items) to what they name. */
function resolve(doc: unknown, value: unknown): unknown {
  let at = value;
  for (let hops = 0; hops < 16 && isObj(at) && typeof at.$ref === 'string'; hops++) {
    at = pointer(doc, at.$ref);
  }
  return isObj(at) && typeof at.$ref === 'string' ? undefined : at;
}

/** The path item and operation of a route: by operationId, else by method and path. */
export function findOperation(doc: unknown, route: RouteRef): { pathItem: Obj; operation: Obj } | null {
  const paths = isObj(doc) && isObj(doc.paths) ? doc.paths : {};
  const method = route.method.toLowerCase();
  let byPath: { pathItem: Obj; operation: Obj } | null = null;
  for (const [path, rawItem] of Object.entries(paths)) {
    const pathItem = resolve(doc, rawItem);
    if (!isObj(pathItem)) continue;
    for (const m of METHODS) {
      const operation = pathItem[m];
      if (!isObj(operation)) continue;
      if (route.operationId !== undefined && operation.operationId === route.operationId) {
        return { pathItem, operation };
      }
      if (byPath === null && m === method && path === route.path) byPath = { pathItem, operation };
    }
  }
  return byPath;
}

const SCHEMA_KEYWORDS = [
  'additionalProperties',
  'additionalItems',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'dependentSchemas', 'definitions', '$defs'];
/** Would change the base URI `#/definitions/…` resolves against, or name a meta-schema Ajv lacks. */
const DROPPED = new Set(['$schema', '$id', '$anchor', '$dynamicAnchor']);

/** Turns schemas of the document into draft-07 schemas whose references all point into one `definitions`. */
class SchemaConverter {
  readonly definitions: Record<string, unknown> = {};
  private readonly keys = new Map<string, string>();
  private readonly taken = new Set<string>();

  constructor(private readonly doc: unknown) {}

  /** `#/components/schemas/Book` -> `#/definitions/Book`, converting what it names once. */
  private reference(ref: string): string | null {
    const known = this.keys.get(ref);
    if (known !== undefined) return `#/definitions/${known}`;
    const target = pointer(this.doc, ref);
    if (target === undefined || (typeof target !== 'boolean' && !isObj(target))) return null;
    const base = (ref.split('/').pop() ?? 'schema').replace(/[^A-Za-z0-9_.-]/g, '_') || 'schema';
    let key = base;
    for (let n = 2; this.taken.has(key); n++) key = `${base}_${n}`;
    this.taken.add(key);
    this.keys.set(ref, key);
    // Registered before converting: a schema that refers to itself ends up referring to its definition.
    this.definitions[key] = true;
    this.definitions[key] = this.convert(target);
    return `#/definitions/${key}`;
  }

  /** A readOnly property (possibly behind a `$ref`) is not required in a request. */
  private readOnly(schema: unknown): boolean {
    let at = schema;
    for (
      let hops = 0;
      hops < 16 && isObj(at) && typeof at.$ref === 'string' && at.readOnly !== true;
      hops++
    ) {
      at = pointer(this.doc, at.$ref);
    }
    return isObj(at) && at.readOnly === true;
  }

  convert(schema: unknown): unknown {
    if (!isObj(schema)) return schema;
    const out: Obj = {};
    for (const [keyword, value] of Object.entries(schema)) {
      if (DROPPED.has(keyword)) continue;
      if (keyword === '$ref' && typeof value === 'string') {
        // A reference out of the document (another file, a URL) stays as it is: Ajv cannot resolve it,
        // and the server leaves this schema out.
        out.$ref = value.startsWith('#/') ? (this.reference(value) ?? value) : value;
      } else if (SCHEMA_KEYWORDS.includes(keyword)) {
        out[keyword] = this.convert(value);
      } else if (SCHEMA_LIST_KEYWORDS.includes(keyword) && Array.isArray(value)) {
        out[keyword] = value.map((s) => this.convert(s));
      } else if (SCHEMA_MAP_KEYWORDS.includes(keyword) && isObj(value)) {
        out[keyword] = Object.fromEntries(Object.entries(value).map(([k, s]) => [k, this.convert(s)]));
      } else if (keyword === 'items') {
        out.items = Array.isArray(value) ? value.map((s) => this.convert(s)) : this.convert(value);
      } else if (keyword === 'dependencies' && isObj(value)) {
        out.dependencies = Object.fromEntries(
          Object.entries(value).map(([k, s]) => [k, Array.isArray(s) ? s : this.convert(s)]),
        );
      } else {
        // Data (enum, const, default, examples) and plain keywords are copied untouched.
        out[keyword] = value;
      }
    }
    // 2020-12 tuples: prefixItems + items (the rest) are draft-07 items + additionalItems.
    if (Array.isArray(schema.prefixItems)) {
      delete out.prefixItems;
      out.items = schema.prefixItems.map((s) => this.convert(s));
      if (schema.items !== undefined) out.additionalItems = this.convert(schema.items);
    }
    // OpenAPI 3.0: `exclusiveMinimum: true` qualifies `minimum`; draft-07 wants the bound itself.
    for (const [exclusive, bound] of [
      ['exclusiveMinimum', 'minimum'],
      ['exclusiveMaximum', 'maximum'],
    ] as const) {
      if (typeof out[exclusive] !== 'boolean') continue;
      if (out[exclusive] === true && typeof out[bound] === 'number') {
        out[exclusive] = out[bound];
        delete out[bound];
      } else {
        delete out[exclusive];
      }
    }
    if (Array.isArray(out.required) && isObj(schema.properties)) {
      const props = schema.properties;
      out.required = out.required.filter((name) => typeof name !== 'string' || !this.readOnly(props[name]));
    }
    return out;
  }

  /** One self-contained schema: the root, plus every definition its references reached. */
  wrap(root: Obj, own: Obj = {}): JsonSchema {
    const definitions = { ...this.definitions, ...own };
    return Object.keys(definitions).length === 0 ? root : { ...root, definitions };
  }

  /** Keeps definition keys of a root schema apart from the ones references add. */
  reserve(names: Iterable<string>): void {
    for (const name of names) this.taken.add(name);
  }
}

function isJsonMedia(media: string): boolean {
  const type = (media.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** What a parameter's string value is converted to before validation, from its schema's `type`. */
function coercionOf(doc: unknown, schema: unknown): Coercion | null {
  const resolved = resolve(doc, schema);
  if (!isObj(resolved)) return null;
  const types = Array.isArray(resolved.type) ? resolved.type : [resolved.type];
  if (types.includes('string')) return null;
  for (const t of ['integer', 'number', 'boolean'] as const) if (types.includes(t)) return t;
  if (types.includes('array')) {
    const item = coercionOf(doc, resolved.items);
    return item === null || item.startsWith('array') ? null : (`array:${item}` as Coercion);
  }
  return null;
}

/** The parameters of an operation, the path item's merged in (the operation's win, per OpenAPI). */
function parametersOf(doc: unknown, pathItem: Obj, operation: Obj): Obj[] {
  const byKey = new Map<string, Obj>();
  for (const list of [pathItem.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const p = resolve(doc, raw);
      if (isObj(p) && typeof p.name === 'string' && typeof p.in === 'string')
        byKey.set(`${p.in}:${p.name}`, p);
    }
  }
  return [...byKey.values()];
}

function parameterSchema(
  doc: unknown,
  params: Obj[],
  coerce: Record<string, Coercion>,
): JsonSchema | undefined {
  if (params.length === 0) return undefined;
  const converter = new SchemaConverter(doc);
  const properties: Obj = {};
  const required: string[] = [];
  for (const p of params) {
    const name = String(p.name);
    properties[name] = converter.convert(p.schema ?? {});
    if (p.required === true || p.in === 'path') required.push(name);
    const c = coercionOf(doc, p.schema);
    if (c !== null) coerce[name] = c;
  }
  return converter.wrap({ type: 'object', properties, ...(required.length > 0 ? { required } : {}) });
}

/** The route schemas the document gives one route; empty when it has no such operation. */
export function requestSchemas(doc: unknown, route: RouteRef): DerivedSchemas {
  const derived: DerivedSchemas = { schema: {}, coerce: { params: {}, querystring: {} } };
  const found = findOperation(doc, route);
  if (found === null) return derived;
  const { pathItem, operation } = found;
  const params = parametersOf(doc, pathItem, operation).filter((p) => p.schema !== undefined);
  // A path parameter the route's path does not have would make every request fail.
  const names = new Set([...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
  const inPath = params.filter((p) => p.in === 'path' && names.has(String(p.name)));
  const inQuery = params.filter((p) => p.in === 'query');
  const paramsSchema = parameterSchema(doc, inPath, derived.coerce.params);
  if (paramsSchema) derived.schema.params = paramsSchema;
  const querySchema = parameterSchema(doc, inQuery, derived.coerce.querystring);
  if (querySchema) derived.schema.querystring = querySchema;

  const body = resolve(doc, operation.requestBody);
  if (isObj(body) && isObj(body.content) && !BODYLESS.has(route.method.toUpperCase())) {
    const media = Object.entries(body.content).find(([type, m]) => isJsonMedia(type) && isObj(m));
    const schema = media && isObj(media[1]) ? media[1].schema : undefined;
    if (isObj(schema) || typeof schema === 'boolean') {
      const converter = new SchemaConverter(doc);
      if (isObj(schema) && isObj(schema.definitions)) converter.reserve(Object.keys(schema.definitions));
      const converted = converter.convert(schema);
      const root: Obj = isObj(converted) ? converted : converted === false ? { not: {} } : {};
      // The root's own definitions move to the top, beside the ones its references added.
      const { definitions: own, ...rest } = root;
      // No body arrives as null; an optional body may be left out (null matches `if`, no `then` needed),
      // a required one may not.
      derived.schema.body = converter.wrap(
        body.required === true ? rest : { if: { type: 'null' }, else: rest },
        isObj(own) ? own : {},
      );
    }
  }
  return derived;
}

function coerceOne(value: unknown, to: Coercion): unknown {
  if (to.startsWith('array:')) {
    const item = to.slice('array:'.length) as Coercion;
    return (Array.isArray(value) ? value : [value]).map((v) => coerceOne(v, item));
  }
  if (typeof value !== 'string') return value;
  if (to === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  // Anything else stays a string, and the validator says what it should have been.
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value) ? Number(value) : value;
}

/** Query or path values (strings) converted to the types their schemas declare, in a new object. */
export function coerceValues(
  values: Record<string, unknown>,
  plan: Record<string, Coercion>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const [name, to] of Object.entries(plan)) {
    if (Object.hasOwn(out, name) && out[name] !== undefined) out[name] = coerceOne(out[name], to);
  }
  return out;
}

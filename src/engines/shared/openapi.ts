/**
 * The service's API as both the architecture engine (openapi.yaml, the test plan) and the coding engine
 * (the routes it generates) derive it from the spec, so the two always agree.
 */
import type { Endpoint } from '../../contracts/architecture.js';
import type {
  BusinessRule,
  Entity,
  EntityField,
  Requirement,
  RequirementsSpec,
} from '../../contracts/requirements.js';
import { camelName, kebabPlural, pascalName } from './naming.js';
import { CRUD_ACTIONS, EN_VERB_ACTIONS, ZH_VERB_ACTIONS } from './vocabulary.js';

/**
 * OpenAPI 3.1 from a RequirementsSpec: one operation per (entity, action) a functional requirement
 * asks for, component schemas per entity. Paths: POST /books, GET /books (list; `q` when search is
 * asked), GET|PATCH|DELETE /books/{id}, POST /books/{id}/<action> for custom actions.
 */

type Schema = Record<string, unknown>;

export function fieldSchema(f: EntityField): Schema {
  const base: Schema = (() => {
    switch (f.type) {
      case 'integer':
        return { type: 'integer' };
      case 'number':
        return { type: 'number' };
      case 'boolean':
        return { type: 'boolean' };
      case 'date':
        return { type: 'string', format: 'date' };
      case 'datetime':
        return { type: 'string', format: 'date-time' };
      case 'email':
        return { type: 'string', format: 'email' };
      case 'url':
        return { type: 'string', format: 'uri' };
      case 'enum':
        return { type: 'string', enum: f.enumValues ?? [] };
      default:
        return { type: 'string', ...(f.type === 'string' || f.type === 'id' ? { minLength: 1 } : {}) };
    }
  })();
  return { ...base, 'x-label': f.label, ...(f.unique ? { 'x-unique': true } : {}) };
}

function refFields(e: Entity): EntityField[] {
  // many_to_one relations are stored as a foreign id ("categoryId").
  return e.relations
    .filter((r) => r.kind === 'many_to_one' || r.kind === 'one_to_one')
    .map((r) => ({
      name: `${r.target[0]!.toLowerCase()}${r.target.slice(1)}Id`,
      label: `${r.target} id`,
      type: 'id',
      required: false,
      unique: r.kind === 'one_to_one',
    }));
}

export function storedFields(e: Entity): EntityField[] {
  const names = new Set(e.fields.map((f) => f.name));
  return [...e.fields.filter((f) => f.name !== 'id'), ...refFields(e).filter((f) => !names.has(f.name))];
}

function entitySchemas(e: Entity): Record<string, Schema> {
  const fields = storedFields(e);
  const props: Record<string, Schema> = {};
  for (const f of fields) props[f.name] = fieldSchema(f);
  const required = fields.filter((f) => f.required).map((f) => f.name);
  return {
    [e.name]: {
      type: 'object',
      'x-label': e.label,
      required: ['id', ...required],
      properties: { id: { type: 'string', readOnly: true }, ...props },
    },
    [`${e.name}Input`]: {
      type: 'object',
      additionalProperties: false,
      ...(required.length > 0 ? { required } : {}),
      properties: props,
    },
    [`${e.name}Update`]: { type: 'object', additionalProperties: false, minProperties: 1, properties: props },
  };
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

function errorResponse(description: string): Schema {
  return { description, content: { 'application/json': { schema: ERROR_REF } } };
}

function json(description: string, schema: Schema): Schema {
  return { description, content: { 'application/json': { schema } } };
}

const CRUD: ReadonlySet<string> = new Set(CRUD_ACTIONS);

/**
 * The operation an action asks for. The requirements engine already writes `create`, `borrow`…;
 * a hand-written or LLM spec may say `add`, `register` or `借阅`, so verbs are normalised here, once,
 * for every engine that derives operations (architecture, test plan, the coding engine's prototype).
 * Custom verbs become ASCII camelCase (`借阅` -> `borrow`); null when nothing usable is left.
 */
export function operationAction(action: string): string | null {
  const a = action.trim();
  if (CRUD.has(a)) return a;
  const known = EN_VERB_ACTIONS[a.toLowerCase()] ?? ZH_VERB_ACTIONS[a];
  if (known !== undefined) return known;
  const name = /^[a-z][A-Za-z0-9]*$/.test(a) ? a : camelName(a);
  return /^[a-z][A-Za-z0-9]*$/.test(name) ? name : null;
}

/** The (entity, action) pairs an effect or a hold guards; bound rules are matched by their action instead. */
function guardedOperations(rule: BusinessRule): { entity: string; action: string }[] {
  switch (rule.type) {
    case 'effect':
      return [{ entity: rule.entity, action: rule.action }];
    case 'exclusive':
      return [
        { entity: rule.entity, action: rule.take },
        ...(rule.release !== null ? [{ entity: rule.entity, action: rule.release }] : []),
      ];
    default:
      return [];
  }
}

export interface OpenApiResult {
  doc: Record<string, unknown>;
  endpoints: Endpoint[];
  secured: boolean;
}

/** Roles allowed per operation: the actors of its requirements. */
function rolesOf(reqs: Requirement[]): string[] {
  return [...new Set(reqs.map((r) => r.actor).filter((a): a is string => a !== null))];
}

export function buildOpenApi(spec: RequirementsSpec, secured: boolean): OpenApiResult {
  const entities = new Map(spec.entities.map((e) => [e.name, e]));
  const schemas: Record<string, Schema> = {
    Error: {
      type: 'object',
      required: ['error'],
      properties: { error: { type: 'string' }, code: { type: 'string' } },
    },
  };
  for (const e of spec.entities) Object.assign(schemas, entitySchemas(e));

  // Group requirements by (entity, operation key) so one operation traces to all of them.
  const groups = new Map<string, { entity: Entity; action: string; reqs: Requirement[] }>();
  for (const r of spec.requirements) {
    if (r.kind !== 'functional' || r.entity === null || r.action === null || r.priority === 'wont') continue;
    const e = entities.get(r.entity);
    const verb = operationAction(r.action);
    if (e === undefined || verb === null) continue;
    const action = verb === 'search' ? 'list' : verb;
    const key = `${e.name}:${action}`;
    const g = groups.get(key) ?? { entity: e, action, reqs: [] };
    g.reqs.push(r);
    groups.set(key, g);
  }
  // Business rules guard the operation of their action: they answer 409/422 there.
  const rules = spec.requirements.filter((r) => r.kind === 'business_rule' && r.rule !== undefined);
  // Effects and holds name the operations they guard; those operations exist even if no sentence asked.
  const ruleGroups = new Set<string>();
  for (const r of rules) {
    for (const guard of guardedOperations(r.rule!)) {
      const e = entities.get(guard.entity);
      const verb = operationAction(guard.action);
      if (e === undefined || verb === null) continue;
      const key = `${e.name}:${verb}`;
      const g = groups.get(key) ?? { entity: e, action: verb, reqs: [] };
      if (!g.reqs.includes(r)) g.reqs.push(r);
      groups.set(key, g);
      ruleGroups.add(key);
    }
  }
  // What a client creates it can read back and list: REST's minimum, whether or not a sentence asked.
  for (const g of [...groups.values()]) {
    if (g.action !== 'create') continue;
    for (const action of ['read', 'list']) {
      const key = `${g.entity.name}:${action}`;
      if (!groups.has(key)) groups.set(key, { entity: g.entity, action, reqs: [] });
    }
  }

  const paths: Record<string, Record<string, unknown>> = {};
  const endpoints: Endpoint[] = [];
  const add = (
    path: string,
    method: Endpoint['method'],
    op: Schema,
    g: { entity: Entity; action: string; reqs: Requirement[] },
  ) => {
    const ids = g.reqs.map((r) => r.id);
    const roles = rolesOf(g.reqs);
    const operation: Schema = {
      operationId: op.operationId,
      summary: op.summary,
      tags: [g.entity.name],
      'x-requirement-ids': ids,
      ...(secured
        ? { security: [{ bearerAuth: [] }], ...(roles.length > 0 ? { 'x-roles': roles } : {}) }
        : {}),
      ...(op.parameters !== undefined ? { parameters: op.parameters } : {}),
      ...(op.requestBody !== undefined ? { requestBody: op.requestBody } : {}),
      responses: {
        ...(op.responses as Schema),
        ...(secured ? { '401': errorResponse('Missing or invalid credentials') } : {}),
      },
    };
    paths[path] ??= {};
    paths[path][method] = operation;
    endpoints.push({
      operationId: String(op.operationId),
      method,
      path,
      entity: g.entity.name,
      action: g.action,
      requirementIds: ids,
    });
  };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

  for (const g of groups.values()) {
    const E = g.entity.name;
    const plural = pascalName(kebabPlural(E).replaceAll('-', ' '));
    const base = `/${kebabPlural(E)}`;
    const ref = { $ref: `#/components/schemas/${E}` };
    const hasUnique = g.entity.fields.some((f) => f.unique);
    switch (g.action) {
      case 'create':
        add(
          base,
          'post',
          {
            operationId: `create${E}`,
            summary: `Create a ${g.entity.label}`,
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: `#/components/schemas/${E}Input` } } },
            },
            responses: {
              '201': json(`The created ${g.entity.label}`, ref),
              '400': errorResponse('Invalid input'),
              ...(hasUnique || ruleGroups.has(`${E}:create`)
                ? { '409': errorResponse('A unique field is taken, or a business rule refuses the record') }
                : {}),
            },
          },
          g,
        );
        break;
      case 'read':
        add(
          `${base}/{id}`,
          'get',
          {
            operationId: `get${E}`,
            summary: `Read a ${g.entity.label}`,
            parameters: [idParam],
            responses: { '200': json(`The ${g.entity.label}`, ref), '404': errorResponse('Not found') },
          },
          g,
        );
        break;
      case 'list': {
        const search = g.reqs.some((r) => r.action !== null && operationAction(r.action) === 'search');
        add(
          base,
          'get',
          {
            operationId: `list${plural}`,
            summary: search ? `List or search ${g.entity.label} records` : `List ${g.entity.label} records`,
            ...(search
              ? {
                  parameters: [
                    {
                      name: 'q',
                      in: 'query',
                      required: false,
                      description: 'Text to search for',
                      schema: { type: 'string' },
                    },
                  ],
                }
              : {}),
            responses: { '200': json(`${g.entity.label} records`, { type: 'array', items: ref }) },
          },
          g,
        );
        break;
      }
      case 'update':
        add(
          `${base}/{id}`,
          'patch',
          {
            operationId: `update${E}`,
            summary: `Update a ${g.entity.label}`,
            parameters: [idParam],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: `#/components/schemas/${E}Update` } } },
            },
            responses: {
              '200': json(`The updated ${g.entity.label}`, ref),
              '400': errorResponse('Invalid input'),
              '404': errorResponse('Not found'),
              ...(hasUnique ? { '409': errorResponse('A unique field is already taken') } : {}),
            },
          },
          g,
        );
        break;
      case 'delete':
        add(
          `${base}/{id}`,
          'delete',
          {
            operationId: `delete${E}`,
            summary: `Delete a ${g.entity.label}`,
            parameters: [idParam],
            responses: { '204': { description: 'Deleted' }, '404': errorResponse('Not found') },
          },
          g,
        );
        break;
      default: {
        const action = g.action;
        const Action = action[0]!.toUpperCase() + action.slice(1);
        const actorEntities = [
          ...new Set(g.reqs.map((r) => (r.actor === null ? undefined : pascalName(r.actor)))),
        ].filter((n): n is string => n !== undefined && entities.has(n));
        // A rule without an action ("每个学生最多选5门课程") guards the action its `per` actor takes on the entity.
        const guarded = rules.filter((r) => {
          const rule = r.rule!;
          if (rule.type === 'effect' || rule.type === 'exclusive') return g.reqs.includes(r);
          return rule.action !== null
            ? operationAction(rule.action) === action && (rule.entity === E || rule.entity === null)
            : rule.entity === E && rule.per !== null && actorEntities.includes(rule.per);
        });
        for (const r of guarded) if (!g.reqs.includes(r)) g.reqs.push(r);
        const bodyName = `${Action}${E}Request`;
        const bodyProps: Record<string, Schema> = {};
        for (const a of actorEntities)
          bodyProps[`${a[0]!.toLowerCase()}${a.slice(1)}Id`] = { type: 'string', minLength: 1 };
        schemas[bodyName] = {
          type: 'object',
          ...(Object.keys(bodyProps).length > 0 ? { required: Object.keys(bodyProps) } : {}),
          properties: bodyProps,
        };
        add(
          `${base}/{id}/${action.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
          'post',
          {
            operationId: `${action}${E}`,
            summary: `${Action} a ${g.entity.label}`,
            parameters: [idParam],
            requestBody: {
              required: Object.keys(bodyProps).length > 0,
              content: { 'application/json': { schema: { $ref: `#/components/schemas/${bodyName}` } } },
            },
            responses: {
              '200': json(`The ${g.entity.label} after ${action}`, ref),
              '404': errorResponse('Not found'),
              ...(guarded.length > 0 ? { '409': errorResponse('A business rule refuses the action') } : {}),
            },
          },
          g,
        );
      }
    }
  }

  const doc: Record<string, unknown> = {
    openapi: '3.1.0',
    info: {
      title: spec.projectName.length > 0 ? spec.projectName : 'Generated service',
      version: '1.0.0',
      description: spec.summary,
    },
    servers: [{ url: '/' }],
    tags: spec.entities.map((e) => ({ name: e.name, description: e.label })),
    paths,
    components: {
      schemas,
      ...(secured
        ? { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } }
        : {}),
    },
  };
  return { doc, endpoints, secured };
}

import type { ArchitectureSpec, TestPlan } from '../../contracts/architecture.js';
import { REQUIREMENT_ID } from '../../contracts/fields.js';
import type {
  BoundRule,
  EffectRule,
  FieldType,
  HoldRule,
  RequirementsSpec,
} from '../../contracts/requirements.js';
import { oneLine } from '../shared/escape.js';
import { buildOpenApi, operationAction, storedFields } from '../shared/openapi.js';
import { camel, IdentifierScope, kebab, pascal, plural, singular, words } from './identifiers.js';

/**
 * The service the generator writes, reduced to safe identifiers. Every name that reaches generated
 * code is built here from the spec through `IdentifierScope`; the original text only travels as
 * escaped string literals (labels, messages).
 */
export interface FieldModel {
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  unique: boolean;
  enumValues: string[];
  /** Entity key this field references (`memberId` -> member), checked on write (422). */
  ref: string | null;
}

/**
 * What an implicit action record (`BookBorrow`) records: a custom action (`POST /books/{id}/borrow`)
 * on a target entity, by whoever the request body names (`memberId`).
 */
export interface ActionRecord {
  /** The target entity's key (`book`). */
  target: string;
  /** The action, camelCase (`borrow`). */
  verb: string;
  /** The record's field holding the target's id (`bookId`), filled from the path. */
  targetField: string;
}

export interface EntityModel {
  key: string;
  typeName: string;
  collection: string;
  file: string;
  label: string;
  fields: FieldModel[];
  /** Set for the `<Entity><Action>` records the generator adds for custom actions. */
  action: ActionRecord | null;
}

export type OperationKind =
  | 'list'
  | 'create'
  | 'get'
  | 'update'
  | 'delete'
  | 'listChildren'
  | 'createChild'
  /** A custom action (`POST /books/{id}/borrow`): checks the target, stores an action record. */
  | 'action'
  | 'unsupported';

export interface OperationModel {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  kind: OperationKind;
  entity: string | null;
  /** For nested routes (`/members/{id}/loans`): the child's field that holds the parent id. */
  parentField: string | null;
  /** For `action` operations: the key of the record entity it stores (`bookBorrow`). */
  record: string | null;
  requirementIds: string[];
}

/** At most `max` records of `entity` (a linking entity or an action record) per value of `perField` (409). */
export interface LimitRule {
  kind: 'limit';
  requirementId: string;
  text: string;
  entity: string;
  perField: string;
  max: number;
}

/** A numeric field kept at or above (`min`) / at or below (`max`) `value` (422). */
export interface ValueRule {
  kind: 'value';
  requirementId: string;
  text: string;
  entity: string;
  field: string;
  bound: 'min' | 'max';
  value: number;
}

/**
 * Creating a record of `entity` changes the `field` of the `target` it references through
 * `refField`, by the record's `amount` field (or by one). The target field's value rules refuse the
 * change (409) when the result would break them.
 */
export interface EffectRuleModel {
  kind: 'effect';
  requirementId: string;
  text: string;
  entity: string;
  refField: string;
  target: string;
  field: string;
  sign: -1 | 1;
  amount: string | null;
}

/**
 * The `take` action record (`carRent`) holds its target until a `release` record (`carReturn`) for it
 * follows: a second take is refused (409), and so is a release of a target not held.
 */
export interface HoldRuleModel {
  kind: 'hold';
  requirementId: string;
  text: string;
  /** The take record (`carRent`): the rule is checked when one is created. */
  entity: string;
  target: string;
  release: string | null;
}

export type RuleModel = LimitRule | ValueRule | EffectRuleModel | HoldRuleModel;

export interface RequirementModel {
  id: string;
  kind: 'functional' | 'non_functional' | 'business_rule';
  priority: string;
  text: string;
  operations: string[];
}

export interface TestCaseModel {
  id: string;
  name: string;
  requirementIds: string[];
  /** `smoke` cases also go into the live smoke suite (test/smoke), run by deploy_verify. */
  kind: TestPlan['cases'][number]['kind'];
  /** The API operation the case exercises, when the plan names one. */
  operationId: string | null;
}

export interface ServiceModel {
  packageName: string;
  title: string;
  entities: EntityModel[];
  operations: OperationModel[];
  rules: RuleModel[];
  requirements: RequirementModel[];
  testCases: TestCaseModel[];
  /** What the generator could not turn into code, said plainly. */
  notes: string[];
  /** The design's OpenAPI document, served by the service at GET /openapi.json. */
  openapi: Record<string, unknown>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const SAFE_PATH = /^(\/([A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$/;
const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  十: 10,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function norm(text: string): string {
  return words(text).join('');
}

export function buildModel(
  spec: RequirementsSpec,
  architecture: ArchitectureSpec | undefined,
  testPlan: TestPlan | undefined,
): ServiceModel {
  const notes: string[] = [];
  const entityScope = new IdentifierScope('entity');
  const entities: EntityModel[] = spec.entities.map((entity) => {
    const key = entityScope.take(singular(words(entity.name).join(' ')) || entity.label);
    return {
      key,
      typeName: pascal(key),
      collection: plural(key),
      file: kebab(key),
      label: entity.label || entity.name,
      fields: [],
      action: null,
    };
  });
  const byNorm = new Map<string, EntityModel>();
  for (const [i, entity] of entities.entries()) {
    const source = spec.entities[i]!;
    byNorm.set(entity.key.toLowerCase(), entity);
    byNorm.set(entity.collection.toLowerCase(), entity);
    byNorm.set(norm(source.name), entity);
    if (source.label) byNorm.set(norm(source.label), entity);
    const fieldScope = new IdentifierScope('field');
    // Stored fields: the entity's own plus a foreign id per many-to-one relation, as the API document has them.
    for (const field of storedFields(source)) {
      const id = camel(field.name);
      if (id === 'id' || field.name === 'id') continue; // the primary key is always generated
      const name = fieldScope.take(field.name);
      entity.fields.push({
        name,
        label: field.label || field.name,
        type: field.type,
        required: field.required,
        unique: field.unique,
        enumValues: field.type === 'enum' ? (field.enumValues ?? []).slice(0, 50) : [],
        ref: null,
      });
    }
  }
  const findEntity = (text: string): EntityModel | undefined => {
    const n = norm(text);
    return byNorm.get(n) ?? byNorm.get(singular(n)) ?? entities.find((e) => norm(e.label) === n);
  };
  // References: `memberId` (or an `id` field named after an entity) points at that entity.
  for (const entity of entities) {
    for (const field of entity.fields) {
      const base = field.name.replace(/Id$/, '');
      if (base === field.name && field.type !== 'id') continue;
      const target = findEntity(base);
      if (target && target !== entity) field.ref = target.key;
    }
  }
  breakReferenceCycles(entities, notes);

  // Without an architecture (prototype) the operations come from the same derivation the architecture
  // engine uses, so both templates serve the same API.
  const api = architecture ?? derivedApi(spec);
  const operations = operationsFromOpenApi(api, entities, entityScope, findEntity, notes);
  if (operations.length === 0) operations.push(...defaultOperations(entities, spec));
  linkActionActors(entities, operations, findEntity);
  linkTrace(operations, architecture);

  const requirements: RequirementModel[] = spec.requirements.map((req) => ({
    id: req.id,
    kind: req.kind,
    priority: req.priority,
    text: req.text,
    operations: operations.filter((op) => op.requirementIds.includes(req.id)).map((op) => op.operationId),
  }));
  // A functional requirement the API document does not trace still gets its entity's matching operation.
  for (const [i, req] of spec.requirements.entries()) {
    const model = requirements[i]!;
    if (model.operations.length > 0 || req.kind !== 'functional' || !req.entity) continue;
    const entity = findEntity(req.entity);
    const verb = req.action ? operationAction(req.action) : null;
    const record = entities.find((e) => e.action?.target === entity?.key && e.action?.verb === verb);
    const kind = actionKind(req.action ?? req.text);
    const op = record
      ? operations.find((o) => o.record === record.key)
      : operations.find((o) => o.entity === entity?.key && o.kind === kind);
    if (op) {
      op.requirementIds.push(req.id);
      model.operations.push(op.operationId);
    }
  }

  const rules: RuleModel[] = [];
  for (const req of spec.requirements) {
    if (req.kind !== 'business_rule') continue;
    const rule =
      req.rule?.type === 'effect'
        ? effectRule(req.id, req.text, req.rule, entities, findEntity)
        : req.rule?.type === 'exclusive'
          ? holdRule(req.id, req.text, req.rule, entities, findEntity)
          : (structuredRule(req.id, req.text, req.rule, entities, findEntity) ??
            (req.rule?.type === 'max_count' || req.rule === undefined
              ? parseLimitRule(req.id, `${req.text} ${req.source}`, entities, req.entity)
              : null));
    if (rule) rules.push(rule);
    else
      notes.push(
        `${req.id}: business rule not understood by the offline generator: "${oneLine(req.text, 300)}"`,
      );
  }

  const testCases: TestCaseModel[] = (testPlan?.cases ?? []).map((c) => ({
    id: c.id,
    name: c.name,
    requirementIds: c.requirementIds.filter((id) => /^REQ-\d{3,}$/.test(id)),
    kind: c.kind,
    operationId: c.operationId ?? null,
  }));

  const pkg = words(spec.projectName).join('-') || 'generated-service';
  return {
    packageName: pkg.slice(0, 60),
    title: spec.projectName,
    entities,
    operations,
    rules,
    requirements,
    testCases,
    notes,
    openapi: api.api,
  };
}

function breakReferenceCycles(entities: EntityModel[], notes: string[]): void {
  const byKey = new Map(entities.map((e) => [e.key, e]));
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (byKey.get(from)?.fields ?? []).some((f) => f.ref !== null && reaches(f.ref, to, seen));
  };
  for (const entity of entities) {
    for (const field of entity.fields) {
      if (field.ref && reaches(field.ref, entity.key)) {
        notes.push(`${entity.key}.${field.name}: circular reference kept as a plain id (not checked)`);
        field.ref = null;
      }
    }
  }
}

function schemaRefs(node: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  if (Array.isArray(node)) for (const item of node) schemaRefs(item, out, depth + 1);
  else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value.split('/').pop() ?? '');
      else schemaRefs(value, out, depth + 1);
    }
  }
  return out;
}

/** The API the architecture engine would design for this spec (unsecured: the generator adds no auth). */
function derivedApi(spec: RequirementsSpec): Pick<ArchitectureSpec, 'api' | 'endpoints'> {
  const { doc, endpoints } = buildOpenApi(spec, false);
  return { api: doc, endpoints };
}

function operationsFromOpenApi(
  architecture: Pick<ArchitectureSpec, 'api' | 'endpoints'>,
  entities: EntityModel[],
  entityScope: IdentifierScope,
  findEntity: (text: string) => EntityModel | undefined,
  notes: string[],
): OperationModel[] {
  const paths = architecture.api.paths;
  if (!isRecord(paths)) return [];
  const scope = new IdentifierScope('operation');
  const ops: OperationModel[] = [];
  for (const [rawPath, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const segments = rawPath.split('/').filter((s) => s.length > 0);
      const literals = segments.filter((s) => !s.startsWith('{'));
      const refEntity = schemaRefs([op.requestBody, op.responses])
        .map((name) => findEntity(name))
        .find((e) => e !== undefined);
      const hinted = architecture.endpoints.find(
        (e) => e.operationId === op.operationId && e.method === method,
      );
      const first =
        (literals[0] ? findEntity(literals[0]) : undefined) ??
        (hinted ? findEntity(hinted.entity) : undefined);
      const last = literals.length > 1 ? findEntity(literals[literals.length - 1]!) : undefined;
      const shape = segments.map((s) => (s.startsWith('{') ? 'P' : 'L')).join('');
      let kind: OperationKind = 'unsupported';
      let entity = first ?? refEntity ?? null;
      let parentField: string | null = null;
      let record: EntityModel | null = null;
      const upper = method.toUpperCase() as OperationModel['method'];
      if (shape === 'L') kind = method === 'get' ? 'list' : method === 'post' ? 'create' : 'unsupported';
      else if (shape === 'LP') {
        kind =
          ({ get: 'get', put: 'update', patch: 'update', delete: 'delete' } as const)[method as 'get'] ??
          'unsupported';
      } else if (shape === 'LPL' && first) {
        // `/members/{id}/loans`, or an action such as `/books/{id}/borrow` served by the entity that links to books.
        const linking = entities.filter(
          (e) => e !== first && !e.action && e.fields.some((f) => f.ref === first.key),
        );
        const child =
          last ??
          (refEntity && refEntity !== first ? refEntity : undefined) ??
          (linking.length === 1 ? linking[0] : undefined);
        const field = child?.fields.find((f) => f.ref === first.key);
        if (child && field && (method === 'get' || method === 'post')) {
          kind = method === 'get' ? 'listChildren' : 'createChild';
          entity = child;
          parentField = field.name;
        } else if (method === 'post' && !first.action) {
          // A custom action on one item: recorded as a `<Entity><Action>` record.
          // The endpoint's action is an identifier by contract; camel() keeps it one even if not.
          const verb = camel(hinted?.action ?? '') ?? camel(literals[literals.length - 1] ?? '');
          if (verb) {
            record = actionRecord(
              first,
              verb,
              requestBodyFields(architecture.api, op),
              entities,
              entityScope,
            );
            kind = 'action';
          }
        }
      }
      let path = rawPath;
      if (!SAFE_PATH.test(rawPath)) {
        if (entity && (shape === 'L' || shape === 'LP')) {
          path = shape === 'L' ? `/${entity.collection}` : `/${entity.collection}/{id}`;
          notes.push(
            `path ${JSON.stringify(rawPath).slice(0, 80)} is not a safe URL path; served as ${path}`,
          );
        } else {
          notes.push(`path ${JSON.stringify(rawPath).slice(0, 80)} skipped: not a safe URL path`);
          continue;
        }
      }
      if (kind === 'unsupported') {
        notes.push(
          `${upper} ${path}: no offline implementation; the route answers 501 until a developer writes it`,
        );
      }
      const reqIds = Array.isArray(op['x-requirement-ids'])
        ? op['x-requirement-ids'].filter(
            (id): id is string => typeof id === 'string' && /^REQ-\d{3,}$/.test(id),
          )
        : [];
      const opId = typeof op.operationId === 'string' ? op.operationId : `${method} ${literals.join(' ')}`;
      ops.push({
        operationId: scope.take(opId),
        method: upper,
        path,
        kind,
        entity: entity?.key ?? null,
        parentField,
        record: record?.key ?? null,
        requirementIds: reqIds,
      });
      if (kind !== 'unsupported' && !entity) ops.pop();
    }
  }
  if (entities.length > 0 && ops.length === 0)
    notes.push('the API document has no usable paths; using CRUD per entity');
  return ops;
}

function defaultOperations(entities: EntityModel[], spec: RequirementsSpec): OperationModel[] {
  const ops: OperationModel[] = [];
  for (const entity of entities) {
    const type = entity.typeName;
    const list = `/${entity.collection}`;
    const item = `${list}/{id}`;
    const reqs = (kind: OperationKind) =>
      spec.requirements
        .filter(
          (r) =>
            r.kind === 'functional' &&
            r.entity &&
            norm(r.entity) &&
            words(r.entity).join('') !== '' &&
            singular(norm(r.entity)) === singular(norm(entity.label)) &&
            actionKind(r.action ?? r.text) === kind,
        )
        .map((r) => r.id);
    ops.push(
      {
        operationId: `list${pascal(entity.collection)}`,
        method: 'GET',
        path: list,
        kind: 'list',
        entity: entity.key,
        parentField: null,
        record: null,
        requirementIds: reqs('list'),
      },
      {
        operationId: `create${type}`,
        method: 'POST',
        path: list,
        kind: 'create',
        entity: entity.key,
        parentField: null,
        record: null,
        requirementIds: reqs('create'),
      },
      {
        operationId: `get${type}`,
        method: 'GET',
        path: item,
        kind: 'get',
        entity: entity.key,
        parentField: null,
        record: null,
        requirementIds: reqs('get'),
      },
      {
        operationId: `update${type}`,
        method: 'PUT',
        path: item,
        kind: 'update',
        entity: entity.key,
        parentField: null,
        record: null,
        requirementIds: reqs('update'),
      },
      {
        operationId: `delete${type}`,
        method: 'DELETE',
        path: item,
        kind: 'delete',
        entity: entity.key,
        parentField: null,
        record: null,
        requirementIds: reqs('delete'),
      },
    );
  }
  return ops;
}

function linkTrace(operations: OperationModel[], architecture: ArchitectureSpec | undefined): void {
  for (const trace of architecture?.trace ?? []) {
    // Requirement ids land in comments, test names and messages of the generated code: only real ids.
    if (!REQUIREMENT_ID.test(trace.requirementId)) continue;
    for (const opId of trace.operations) {
      const op = operations.find((o) => o.operationId === opId || o.operationId === camel(opId));
      if (op && !op.requirementIds.includes(trace.requirementId)) op.requirementIds.push(trace.requirementId);
    }
  }
}

/** Maps a requirement's action verb (English or Chinese) to the CRUD operation that serves it. */
export function actionKind(action: string): OperationKind {
  const a = action.toLowerCase();
  if (/(delete|remove|cancel|删除|移除|取消)/.test(a)) return 'delete';
  if (/(update|edit|modify|change|修改|编辑|更新)/.test(a)) return 'update';
  if (/(list|search|browse|all|filter|列表|搜索|查询|浏览)/.test(a)) return 'list';
  if (/(view|get|show|read|see|detail|查看|详情)/.test(a)) return 'get';
  return 'create';
}

function parseNumber(text: string): number | null {
  const m =
    /(?:at most|no more than|up to|maximum of|max(?:imum)?|not exceed|limit of)\s+(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b/i.exec(
      text,
    ) ?? /(?:最多|至多|不超过|不能超过)[\u4e00-\u9fff]{0,3}?(\d+|[一二两三四五六七八九十])/.exec(text);
  if (!m?.[1]) return null;
  const raw = m[1].toLowerCase();
  const n = /^\d+$/.test(raw) ? Number(raw) : (NUMBER_WORDS[raw] ?? null);
  return n !== null && n > 0 && n < 1_000_000 ? n : null;
}

type StructuredRule = BoundRule;

/** An effect on a record the created one references: the reference and the amount become required. */
function effectRule(
  requirementId: string,
  text: string,
  rule: EffectRule,
  entities: EntityModel[],
  findEntity: (text: string) => EntityModel | undefined,
): EffectRuleModel | null {
  const target = findEntity(rule.target);
  const verb = operationAction(rule.action);
  const named = findEntity(rule.entity);
  const record =
    verb === 'create' || verb === null
      ? named
      : (entities.find(
          (e) => e.action !== null && e.action.target === target?.key && e.action.verb === verb,
        ) ?? named);
  if (!target || !record) return null;
  const ref = record.fields.find((f) => f.ref === target.key);
  const field = numericField(target.fields, (f) => f, rule.field);
  const amount = rule.amount === null ? null : numericField(record.fields, (f) => f, rule.amount);
  if (!ref || !field || amount === undefined) return null;
  ref.required = true;
  if (amount) amount.required = true;
  return {
    kind: 'effect',
    requirementId,
    text,
    entity: record.key,
    refField: ref.name,
    target: target.key,
    field: field.name,
    sign: rule.change === 'decrease' ? -1 : 1,
    amount: amount?.name ?? null,
  };
}

/** A hold through the target's take and release actions (`POST /cars/{id}/rent`, `…/return`). */
function holdRule(
  requirementId: string,
  text: string,
  rule: HoldRule,
  entities: EntityModel[],
  findEntity: (text: string) => EntityModel | undefined,
): HoldRuleModel | null {
  const target = findEntity(rule.entity);
  if (!target) return null;
  const recordOf = (verb: string | null) =>
    verb === null
      ? undefined
      : entities.find((e) => e.action !== null && e.action.target === target.key && e.action.verb === verb);
  const take = recordOf(operationAction(rule.take));
  const release = rule.release === null ? null : recordOf(operationAction(rule.release));
  if (!take || release === undefined) return null;
  return {
    kind: 'hold',
    requirementId,
    text,
    entity: take.key,
    target: target.key,
    release: release?.key ?? null,
  };
}

/** The numeric field `wanted` names: by name or label first, then one ending in it (`ticketPrice` for `price`). */
function numericField<T>(items: T[], fieldOf: (item: T) => FieldModel, wanted: string): T | undefined {
  const want = camel(wanted);
  const numeric = items.filter((i) => fieldOf(i).type === 'integer' || fieldOf(i).type === 'number');
  return (
    numeric.find((i) => fieldOf(i).name === want || norm(fieldOf(i).label) === norm(wanted)) ??
    numeric.find((i) => want !== null && fieldOf(i).name.endsWith(pascal(want)))
  );
}

/** The requirements engine's structured rule, as a limit (409) or a value bound (422). */
function structuredRule(
  requirementId: string,
  text: string,
  rule: StructuredRule | undefined,
  entities: EntityModel[],
  findEntity: (text: string) => EntityModel | undefined,
): RuleModel | null {
  switch (rule?.type) {
    case 'max_count':
      return (
        actionLimitRule(requirementId, text, rule, entities, findEntity) ??
        structuredLimitRule(requirementId, text, rule, entities, findEntity)
      );
    case 'min_value':
    case 'max_value':
      return valueRule(requirementId, text, rule, entities, findEntity);
    default:
      return null;
  }
}

/** `max_count` of an action: counts its records per actor (`memberId`) or per target (`bookId`). */
function actionLimitRule(
  requirementId: string,
  text: string,
  rule: StructuredRule,
  entities: EntityModel[],
  findEntity: (text: string) => EntityModel | undefined,
): LimitRule | null {
  if (!(rule.value > 0)) return null;
  const counted = rule.entity ? findEntity(rule.entity) : undefined;
  const per = rule.per ? findEntity(rule.per) : undefined;
  const perName = per?.key ?? (rule.per ? camel(rule.per) : null);
  // Without a verb ("每个学生最多选5门课程"): the action on the counted entity that records `per`.
  const verb = rule.action ? operationAction(rule.action) : null;
  for (const record of entities) {
    const act = record.action;
    if (!act || (verb !== null && act.verb !== verb)) continue;
    if (counted && act.target !== counted.key && per?.key !== act.target) continue;
    const others = record.fields.filter((f) => f.name !== act.targetField && f.type === 'id');
    const field =
      perName === act.target
        ? act.targetField
        : perName !== null
          ? record.fields.find((f) => (per && f.ref === per.key) || f.name === `${perName}Id`)?.name
          : others.length === 1
            ? others[0]!.name
            : undefined;
    if (field) {
      return {
        kind: 'limit',
        requirementId,
        text,
        entity: record.key,
        perField: field,
        max: Math.floor(rule.value),
      };
    }
  }
  return null;
}

/** `max_count` of `entity` per `per` through a linking entity that references `per` (a Loan with memberId). */
function structuredLimitRule(
  requirementId: string,
  text: string,
  rule: StructuredRule,
  entities: EntityModel[],
  findEntity: (text: string) => EntityModel | undefined,
): LimitRule | null {
  if (!rule.per || !(rule.value > 0)) return null;
  const per = findEntity(rule.per);
  const counted = rule.entity ? findEntity(rule.entity) : undefined;
  if (!per) return null;
  const holders = entities.filter((e) => !e.action && e.fields.some((f) => f.ref === per.key));
  const target =
    holders.find((h) => h === counted) ??
    holders.find((h) => counted !== undefined && h.fields.some((f) => f.ref === counted.key)) ??
    (holders.length === 1 ? holders[0] : undefined);
  const field = target?.fields.find((f) => f.ref === per.key);
  if (!target || !field) return null;
  return {
    kind: 'limit',
    requirementId,
    text,
    entity: target.key,
    perField: field.name,
    max: Math.floor(rule.value),
  };
}

/** `min_value`/`max_value` on a numeric field: `price` matches `price` or `ticketPrice`. */
function valueRule(
  requirementId: string,
  text: string,
  rule: StructuredRule,
  entities: EntityModel[],
  findEntity: (text: string) => EntityModel | undefined,
): ValueRule | null {
  if (!rule.field || !Number.isFinite(rule.value)) return null;
  const declared = rule.entity ? findEntity(rule.entity) : undefined;
  const pool = declared ? [declared] : entities.filter((e) => !e.action);
  const match = numericField(
    pool.flatMap((e) => e.fields.map((f) => ({ e, f }))),
    (m) => m.f,
    rule.field,
  );
  if (!match) return null;
  return {
    kind: 'value',
    requirementId,
    text,
    entity: match.e.key,
    field: match.f.name,
    bound: rule.type === 'min_value' ? 'min' : 'max',
    value: rule.value,
  };
}

const JSON_FORMATS: Record<string, FieldType> = {
  date: 'date',
  'date-time': 'datetime',
  email: 'email',
  uri: 'url',
  url: 'url',
};

/** The properties of an operation's JSON request body (inline or a `$ref` to a component schema). */
function requestBodyFields(api: Record<string, unknown>, op: Record<string, unknown>): FieldModel[] {
  const body = op.requestBody;
  const content = isRecord(body) && isRecord(body.content) ? body.content['application/json'] : undefined;
  let schema = isRecord(content) ? content.schema : undefined;
  if (isRecord(schema) && typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop() ?? '';
    const components =
      isRecord(api.components) && isRecord(api.components.schemas) ? api.components.schemas : {};
    schema = components[name];
  }
  if (!isRecord(schema) || !isRecord(schema.properties)) return [];
  const required = Array.isArray(schema.required) ? schema.required : [];
  const scope = new IdentifierScope('field');
  const fields: FieldModel[] = [];
  for (const [raw, prop] of Object.entries(schema.properties).slice(0, 50)) {
    if (!isRecord(prop) || prop.readOnly === true) continue;
    const name = scope.take(raw);
    const enumValues = Array.isArray(prop.enum)
      ? prop.enum.filter((v): v is string => typeof v === 'string')
      : [];
    const type: FieldType =
      enumValues.length > 0
        ? 'enum'
        : prop.type === 'integer' || prop.type === 'number' || prop.type === 'boolean'
          ? prop.type
          : (JSON_FORMATS[String(prop.format)] ?? (/Id$/.test(name) ? 'id' : 'string'));
    fields.push({
      name,
      label: typeof prop['x-label'] === 'string' ? prop['x-label'] : raw,
      type,
      required: required.includes(raw),
      unique: false,
      enumValues: enumValues.slice(0, 50),
      ref: null,
    });
  }
  return fields;
}

/** The `<Entity><Action>` record a custom action stores: the target's id plus the request body's fields. */
function actionRecord(
  target: EntityModel,
  verb: string,
  body: FieldModel[],
  entities: EntityModel[],
  entityScope: IdentifierScope,
): EntityModel {
  const existing = entities.find((e) => e.action?.target === target.key && e.action.verb === verb);
  if (existing) return existing;
  const key = entityScope.take(`${target.key} ${verb}`);
  const targetField = `${target.key}Id`;
  const record: EntityModel = {
    key,
    typeName: pascal(key),
    collection: plural(key),
    file: kebab(key),
    label: `${verb} ${target.label}`,
    fields: [
      {
        name: targetField,
        label: `${target.label} id`,
        type: 'id',
        required: true,
        unique: false,
        enumValues: [],
        ref: target.key,
      },
      ...body.filter((f) => f.name !== targetField),
    ],
    action: { target: target.key, verb, targetField },
  };
  entities.push(record);
  return record;
}

/**
 * An action's actor id (`memberId`) references the actor's entity when the API can create that
 * entity; otherwise it stays an opaque id (the actor lives outside this service), or no one could act.
 */
function linkActionActors(
  entities: EntityModel[],
  operations: OperationModel[],
  findEntity: (text: string) => EntityModel | undefined,
): void {
  const creatable = new Set(
    operations.filter((o) => o.kind === 'create' || o.kind === 'createChild').map((o) => o.entity),
  );
  for (const record of entities) {
    if (!record.action) continue;
    for (const field of record.fields) {
      if (field.name === record.action.targetField || field.type !== 'id') continue;
      const actor = findEntity(field.name.replace(/Id$/, ''));
      if (actor && !actor.action && creatable.has(actor.key)) field.ref = actor.key;
    }
  }
}

/**
 * Understands "X can have at most N Y (per X)" in English and Chinese: N is the limit, the entity
 * created is the one holding a reference to the "per" entity (a Loan with memberId for "a member
 * borrows at most 3 books").
 */
export function parseLimitRule(
  requirementId: string,
  text: string,
  entities: EntityModel[],
  ruleEntity: string | null,
): LimitRule | null {
  const max = parseNumber(text);
  if (max === null) return null;
  const lower = text.toLowerCase();
  const mentioned = entities
    .map((e) => {
      const names = [e.key, e.collection, e.label.toLowerCase(), ...words(e.label)].filter(
        (n) => n.length > 1,
      );
      const at = Math.min(...names.map((n) => lower.indexOf(n)).filter((i) => i >= 0));
      return { entity: e, at };
    })
    .filter((m) => Number.isFinite(m.at))
    .sort((a, b) => a.at - b.at)
    .map((m) => m.entity);
  const declared = ruleEntity
    ? entities.find((e) => norm(e.label) === norm(ruleEntity) || e.key === camel(ruleEntity))
    : undefined;
  if (declared && !mentioned.includes(declared)) mentioned.push(declared);
  for (const per of mentioned) {
    const holders = entities.filter((e) => e.fields.some((f) => f.ref === per.key));
    const counted = mentioned.filter((m) => m !== per);
    const target =
      holders.find((h) => counted.includes(h)) ??
      holders.find((h) => counted.some((c) => h.fields.some((f) => f.ref === c.key))) ??
      (holders.length === 1 ? holders[0] : undefined);
    const field = target?.fields.find((f) => f.ref === per.key);
    if (target && field)
      return { kind: 'limit', requirementId, text, entity: target.key, perField: field.name, max };
  }
  return null;
}

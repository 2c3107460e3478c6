import { z } from 'zod';
import type { JsonSchema } from './types.js';

/**
 * The JSON schema of what the model must produce for `schema`. Output mode: fields with defaults are
 * required and objects are closed, which is what we want a model to write; zod still parses the answer.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Visits every subschema (properties, items, combinators, defs). */
function walk(schema: unknown, visit: (s: Record<string, unknown>) => void): void {
  if (Array.isArray(schema)) {
    for (const s of schema) walk(s, visit);
    return;
  }
  if (!isObj(schema)) return;
  visit(schema);
  for (const key of ['properties', '$defs', 'definitions', 'patternProperties']) {
    const group = schema[key];
    if (isObj(group)) for (const s of Object.values(group)) walk(s, visit);
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'])
    walk(schema[key], visit);
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) walk(schema[key], visit);
}

/**
 * OpenAI's strict structured outputs need every object closed and every property required. Returns the
 * schema with objects closed and whether strict mode can be used without changing what the schema means
 * (an optional property cannot be strict; we fall back to non-strict rather than invent nulls).
 */
export function openAiStrictSchema(schema: JsonSchema): { schema: JsonSchema; strict: boolean } {
  const copy = structuredClone(schema);
  let strict = true;
  walk(copy, (s) => {
    const isObject = s.type === 'object' || isObj(s.properties);
    if (!isObject) return;
    if (s.additionalProperties === undefined) s.additionalProperties = false;
    if (s.additionalProperties !== false) strict = false;
    const props = isObj(s.properties) ? Object.keys(s.properties) : [];
    const required = new Set(Array.isArray(s.required) ? s.required : []);
    if (props.some((p) => !required.has(p))) strict = false;
  });
  return { schema: copy, strict };
}

/** What node-llama-cpp's `createGrammarForJsonSchema` accepts: a JSON-schema subset (see its GbnfJsonSchema). */
export type GbnfSchema = Record<string, unknown>;

const ANY_VALUE: GbnfSchema = {
  oneOf: [
    { type: ['string', 'number', 'boolean', 'null'] },
    { type: 'array' },
    { type: 'object', additionalProperties: true },
  ],
};

/**
 * Converts a standard JSON schema to node-llama-cpp's grammar subset. Keywords the grammar cannot
 * express (patterns, numeric bounds) are dropped here; zod validation after decoding still enforces them.
 * Note: the grammar makes every listed property present, which an optional zod field accepts.
 */
export function toGbnfSchema(schema: unknown): GbnfSchema {
  if (!isObj(schema) || Object.keys(schema).filter((k) => k !== 'description').length === 0) return ANY_VALUE;
  const description = typeof schema.description === 'string' ? { description: schema.description } : {};
  const defs = isObj(schema.$defs)
    ? { $defs: Object.fromEntries(Object.entries(schema.$defs).map(([k, v]) => [k, toGbnfSchema(v)])) }
    : {};
  if (typeof schema.$ref === 'string') return { $ref: schema.$ref, ...description, ...defs };
  if ('const' in schema) return { const: schema.const, ...description };
  if (Array.isArray(schema.enum)) return { enum: schema.enum, ...description };
  const union = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : undefined;
  if (union) return { oneOf: union.map(toGbnfSchema), ...description, ...defs };
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return toGbnfSchema(schema.allOf[0]);

  const type = schema.type;
  if (Array.isArray(type)) {
    return { oneOf: type.map((t) => toGbnfSchema({ ...schema, type: t })), ...description, ...defs };
  }
  switch (type) {
    case 'string': {
      const format = schema.format;
      if (format === 'date-time' || format === 'date' || format === 'time')
        return { type, format, ...description };
      const out: GbnfSchema = { type, ...description };
      if (typeof schema.minLength === 'number') out.minLength = schema.minLength;
      if (typeof schema.maxLength === 'number') out.maxLength = schema.maxLength;
      return out;
    }
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return { type, ...description };
    case 'array': {
      const out: GbnfSchema = { type, ...description, ...defs };
      if (schema.items !== undefined && schema.items !== true) out.items = toGbnfSchema(schema.items);
      if (Array.isArray(schema.prefixItems)) out.prefixItems = schema.prefixItems.map(toGbnfSchema);
      if (typeof schema.minItems === 'number') out.minItems = schema.minItems;
      if (typeof schema.maxItems === 'number') out.maxItems = schema.maxItems;
      return out;
    }
    default: {
      if (type !== 'object' && !isObj(schema.properties)) return ANY_VALUE;
      const props = isObj(schema.properties) ? schema.properties : {};
      const out: GbnfSchema = {
        type: 'object',
        properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, toGbnfSchema(v)])),
        ...description,
        ...defs,
      };
      const extra = schema.additionalProperties;
      // JSON schema's default is "open", but a model writing unasked-for keys helps nobody: close unless told.
      out.additionalProperties = extra === true ? true : isObj(extra) ? toGbnfSchema(extra) : false;
      return out;
    }
  }
}

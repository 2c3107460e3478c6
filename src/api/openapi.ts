import { z } from 'zod';
import { Problem } from './errors.js';
import type { RegisteredRoute } from './route.js';

type JsonSchema = Record<string, unknown>;

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid request (problem+json lists each field)',
  '401': 'Not authenticated',
  '403': 'Not permitted for your role',
  '404': 'Not found',
  '409': 'Conflict with the current state',
  '413': 'Body too large',
  '429': 'Rate limited (see Retry-After)',
};

/**
 * Builds the OpenAPI 3.1 document from the zod schemas the routes validate with. Named schemas
 * (`.meta({id})`) become components; JSON Schema 2020-12 is OpenAPI 3.1's dialect.
 */
export function buildOpenApi(routes: readonly RegisteredRoute[], info: { version: string }): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const json = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
    }) as JsonSchema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    delete json.$schema;
    for (const [name, def] of Object.entries(defs)) components[name] = relink(def) as JsonSchema;
    // A named top-level schema becomes a component and a reference to it.
    const id = z.globalRegistry.get(schema)?.id;
    if (typeof id === 'string') {
      components[id] = relink(json) as JsonSchema;
      return { $ref: `#/components/schemas/${id}` };
    }
    return relink(json) as JsonSchema;
  };
  const problemRef = convert(Problem, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (schema === undefined) continue;
      const json = convert(schema, 'input');
      const props = (json.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((json.required ?? []) as string[]);
      for (const [name, prop] of Object.entries(props)) {
        parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: prop });
      }
    }
    const success =
      r.kind === 'text'
        ? { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } }
        : r.kind === 'websocket'
          ? {
              description: 'Switching Protocols: each WebSocket message is one event as JSON',
              content: { 'application/json': { schema: convert(r.response, 'output') } },
            }
          : { description: 'OK', content: { 'application/json': { schema: convert(r.response, 'output') } } };
    const responses: Record<string, unknown> = { [String(r.status)]: success };
    const errors = r.access === 'public' ? ['400', '413', '429'] : Object.keys(ERROR_STATUSES);
    for (const status of errors) {
      responses[status] = {
        description: ERROR_STATUSES[status],
        content: { 'application/problem+json': { schema: problemRef } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId: operationId(r),
      summary: r.summary,
      ...(r.description === undefined ? {} : { description: r.description }),
      tags: r.tags,
      parameters,
      responses,
      security: r.access === 'public' ? [] : [{ bearer: [] }],
      'x-permission': r.access,
    };
    if (r.body !== undefined) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: convert(r.body, 'input') } },
      };
    }
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'PowerAutomation API',
      version: info.version,
      description:
        'REST API of the PowerAutomation product orchestrator. Authenticate with POST /api/v1/auth/login (JWT) or an API token; send it as `Authorization: Bearer <token>`. Errors are RFC 9457 problem+json.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session JWT from /api/v1/auth/login or an API token (pat_…)',
        },
      },
    },
  };
}

function operationId(r: RegisteredRoute): string {
  const words = r.url
    .replace(/^\/api\/v1\//, '')
    .split('/')
    .filter((p) => p.length > 0)
    .map((p) => (p.startsWith(':') ? `by_${p.slice(1)}` : p));
  return [r.method.toLowerCase(), ...words].join('_').replace(/[^A-Za-z0-9_]/g, '_');
}

/** Local `#/$defs/X` references point at components once the defs move there. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : relink(v);
  }
  return out;
}

import { z } from 'zod';

/**
 * Field types for artifact contracts. Artifact values reach generated code, documents and commands
 * (a reviewer's edit at a gate, a model's answer), so each field says what it may hold: identifiers
 * match an identifier pattern, ids their id pattern, free text has a length cap and no control
 * characters. The generators escape on top of this (src/engines/coding/templates/escape.ts).
 *
 * The checks are refinements, so they stay out of the JSON schema sent to models: providers accept
 * different subsets of JSON-schema keywords and the replay cassettes key on that schema. zod still
 * enforces them on every parse, and a model's answer that breaks one gets the issue back to repair.
 */

/**
 * C0/C1 controls, line and paragraph separators (line terminators in JavaScript) and bidi controls;
 * `breaks` allows tab, newline and carriage return. (Code points, not a regex: Biome refuses control
 * characters in regex literals.)
 */
function hasControl(s: string, breaks: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (breaks && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true;
  }
  return false;
}

/** Adds a length cap to a string schema (a visible `pattern` or `min` stays in its JSON schema). */
export function atMost<T extends z.ZodString>(schema: T, max: number) {
  return schema.refine((s) => s.length <= max, { error: `must be at most ${max} characters` });
}

/** `schema`, capped, on one line: no line breaks or control characters. */
export function singleLine<T extends z.ZodString>(schema: T, max: number) {
  return atMost(schema, max).refine((s) => !hasControl(s, false), {
    error: 'must be one line without control characters',
  });
}

/** One line of text (a label, a name as written, a title). */
export function line(max = 200) {
  return singleLine(z.string(), max);
}

/** Free text that may span lines (a rationale, a sentence of the source): no other control characters. */
export function prose(max = 2_000) {
  return atMost(z.string(), max).refine((s) => !hasControl(s, true), {
    error: 'must not contain control characters',
  });
}

function matching(re: RegExp, what: string, max: number) {
  return z.string().refine((s) => s.length <= max && re.test(s), { error: `must be ${what}` });
}

/** `REQ-001`: a requirement id, everywhere one is referenced. */
export const REQUIREMENT_ID = /^REQ-\d{3,12}$/;
export const RequirementRef = matching(REQUIREMENT_ID, 'a requirement id such as REQ-001', 16);

/** An ASCII identifier as code uses it: `Book`, `dueDate`. */
export const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*$/;
export const IdentifierRef = matching(
  IDENTIFIER,
  'an ASCII identifier (a letter, then letters or digits)',
  64,
);

/** An operation id or action verb: `createBook`, `borrow` (underscores allowed for models' habits). */
export const OPERATION_ID = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const OperationId = matching(OPERATION_ID, 'an identifier such as createBook', 64);

/** An action verb as the architecture names it (`borrow`, `create`): lowerCamel ASCII. */
export const ActionName = matching(/^[a-z][A-Za-z0-9]*$/, 'a lowerCamel ASCII verb such as borrow', 40);

/** Other ids (`TC-001`, `ADR-001`, `US-001`, `REQ-001-AC1`): a letter, then letters, digits, `.`, `_`, `-`. */
export const SAFE_ID = /^[A-Za-z][A-Za-z0-9._-]*$/;
export const SafeId = matching(SAFE_ID, 'an id such as TC-001 (letters, digits, ".", "_", "-")', 40);
/** A diagram's name: its kind and what it shows (`sequence_` + an operation id of up to 64). */
export const DiagramName = matching(SAFE_ID, 'a diagram name such as sequence_createBook', 100);

/** An OpenAPI path: `/books/{id}/borrow`. */
export const API_PATH = /^(\/([A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$|^\/$/;
export const ApiPath = matching(API_PATH, 'an OpenAPI path such as /books/{id}', 200);

/** A snake_case table name. */
export const TableName = matching(/^[a-z][a-z0-9_]*$/, 'a snake_case table name', 64);

/** A workspace-relative file path: no `..`, no absolute paths, no control characters. */
export const RelativePath = z
  .string()
  .refine(
    (s) =>
      s.length > 0 &&
      s.length <= 300 &&
      !hasControl(s, false) &&
      !s.startsWith('/') &&
      !s.includes('\\') &&
      !s.split('/').includes('..'),
    { error: 'must be a relative path inside the workspace (at most 300 characters)' },
  );

/**
 * A site (service) name as the deployment engine makes it (`safeName`): a folder, a docker image and
 * a Kubernetes object name, so never `..`, `/`, a leading `-` (an option to docker or kubectl) or spaces.
 */
export const SITE_NAME = /^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/;
export const SiteName = matching(SITE_NAME, 'a site name such as library-service (a-z, 0-9, "-")', 50);

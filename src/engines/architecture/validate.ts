import { validate } from '@readme/openapi-parser';

/** Validates an OpenAPI document with @readme/openapi-parser; the document itself is not changed. */
export async function validateOpenApi(
  doc: Record<string, unknown>,
): Promise<{ valid: boolean; errors: string[] }> {
  // The parser dereferences in place: give it a copy.
  const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
  if (result.valid) return { valid: true, errors: [] };
  return { valid: false, errors: result.errors.map((e) => e.message) };
}

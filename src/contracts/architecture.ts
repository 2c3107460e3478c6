import { z } from 'zod';
import { Metrics } from './models.js';
import { ProducedBy } from './produced-by.js';
import { EntityField, Relation } from './requirements.js';

/**
 * The architecture stage artifact. `api` is an OpenAPI 3.1 document (plain object); `endpoints`
 * lists the same operations flat, so code generators need not walk the document.
 */

export const Component = z.object({
  name: z.string(),
  responsibility: z.string(),
  requirementIds: z.array(z.string()),
});
export type Component = z.infer<typeof Component>;

export const Endpoint = z.object({
  operationId: z.string(),
  method: z.enum(['get', 'post', 'put', 'patch', 'delete']),
  /** OpenAPI path, e.g. `/books/{id}/borrow` */
  path: z.string(),
  /** `Entity.name` */
  entity: z.string(),
  action: z.string(),
  requirementIds: z.array(z.string()),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const DataModelEntry = z.object({
  entity: z.string(),
  /** snake_case plural table name */
  table: z.string(),
  fields: z.array(EntityField),
  relations: z.array(Relation).default([]),
});
export type DataModelEntry = z.infer<typeof DataModelEntry>;

export const Decision = z.object({
  /** `ADR-001` */
  id: z.string(),
  title: z.string(),
  context: z.string(),
  decision: z.string(),
  consequences: z.string(),
});
export type Decision = z.infer<typeof Decision>;

export const ArchitectureSpec = z.object({
  pattern: z.object({
    name: z.enum(['modular_monolith', 'microservices', 'serverless']),
    rationale: z.string(),
  }),
  components: z.array(Component),
  techStack: z.array(z.object({ layer: z.string(), choice: z.string(), reason: z.string() })),
  dataModel: z.array(DataModelEntry),
  api: z.record(z.string(), z.unknown()),
  endpoints: z.array(Endpoint).default([]),
  deployment: z.record(z.string(), z.unknown()),
  security: z.record(z.string(), z.unknown()),
  scalability: z.array(z.string()),
  /** Mermaid sources: `context`, `container`, `er`, `sequence_<operationId>` … */
  diagrams: z.record(z.string(), z.string()),
  decisions: z.array(Decision),
  trace: z.array(
    z.object({ requirementId: z.string(), components: z.array(z.string()), operations: z.array(z.string()) }),
  ),
  /** mustHavesUntraced, openapiValid (1/0), operations, components, entities */
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
  /** Feedback the engine could not apply, quoted. */
  openQuestions: z.array(z.string()).default([]),
});
export type ArchitectureSpec = z.infer<typeof ArchitectureSpec>;

export const TestCase = z.object({
  /** `TC-001` */
  id: z.string(),
  name: z.string(),
  requirementIds: z.array(z.string()),
  kind: z.enum(['unit', 'integration', 'smoke']),
  given: z.string(),
  when: z.string(),
  then: z.string(),
  /** The API operation exercised, when there is one. */
  operationId: z.string().optional(),
});
export type TestCase = z.infer<typeof TestCase>;

export const TestPlan = z.object({
  cases: z.array(TestCase),
  /** cases, requirementsWithoutCases, smokeCases */
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type TestPlan = z.infer<typeof TestPlan>;

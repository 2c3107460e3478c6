import { z } from 'zod';
import {
  ActionName,
  ApiPath,
  DiagramName,
  IdentifierRef,
  line,
  OperationId,
  prose,
  RequirementRef,
  SafeId,
  TableName,
} from './fields.js';
import { Metrics } from './models.js';
import { ProducedBy } from './produced-by.js';
import { EntityField, Relation } from './requirements.js';

/**
 * The architecture stage artifact. `api` is an OpenAPI 3.1 document (plain object); `endpoints`
 * lists the same operations flat, so code generators need not walk the document.
 */

export const Component = z.object({
  name: line(100),
  responsibility: prose(1_000),
  requirementIds: z.array(RequirementRef),
});
export type Component = z.infer<typeof Component>;

export const Endpoint = z.object({
  operationId: OperationId,
  method: z.enum(['get', 'post', 'put', 'patch', 'delete']),
  /** OpenAPI path, e.g. `/books/{id}/borrow` */
  path: ApiPath,
  /** `Entity.name` */
  entity: IdentifierRef,
  /** `create`, `read`, `list`, `update`, `delete` or a custom verb (`borrow`). */
  action: ActionName,
  requirementIds: z.array(RequirementRef),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const DataModelEntry = z.object({
  entity: IdentifierRef,
  /** snake_case plural table name */
  table: TableName,
  fields: z.array(EntityField),
  relations: z.array(Relation).default([]),
});
export type DataModelEntry = z.infer<typeof DataModelEntry>;

export const Decision = z.object({
  /** `ADR-001` */
  id: SafeId,
  title: line(200),
  context: prose(2_000),
  decision: prose(2_000),
  consequences: prose(2_000),
});
export type Decision = z.infer<typeof Decision>;

export const ArchitectureSpec = z.object({
  pattern: z.object({
    name: z.enum(['modular_monolith', 'microservices', 'serverless']),
    rationale: prose(2_000),
  }),
  components: z.array(Component),
  techStack: z.array(z.object({ layer: line(60), choice: line(200), reason: prose(1_000) })),
  dataModel: z.array(DataModelEntry),
  api: z.record(z.string(), z.unknown()),
  endpoints: z.array(Endpoint).default([]),
  deployment: z.record(z.string(), z.unknown()),
  security: z.record(z.string(), z.unknown()),
  scalability: z.array(prose(1_000)),
  /** Mermaid sources: `context`, `container`, `er`, `sequence_<operationId>` … */
  diagrams: z.record(DiagramName, prose(50_000)),
  decisions: z.array(Decision),
  trace: z.array(
    z.object({
      requirementId: RequirementRef,
      components: z.array(line(100)),
      operations: z.array(OperationId),
    }),
  ),
  /** mustHavesUntraced, openapiValid (1/0), operations, components, entities */
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
  /** Feedback the engine could not apply, quoted. */
  openQuestions: z.array(prose(2_000)).default([]),
});
export type ArchitectureSpec = z.infer<typeof ArchitectureSpec>;

export const TestCase = z.object({
  /** `TC-001` */
  id: SafeId,
  name: line(200),
  requirementIds: z.array(RequirementRef),
  kind: z.enum(['unit', 'integration', 'smoke']),
  given: prose(1_000),
  when: prose(1_000),
  then: prose(1_000),
  /** The API operation exercised, when there is one. */
  operationId: OperationId.optional(),
});
export type TestCase = z.infer<typeof TestCase>;

export const TestPlan = z.object({
  cases: z.array(TestCase),
  /** cases, requirementsWithoutCases, smokeCases */
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type TestPlan = z.infer<typeof TestPlan>;

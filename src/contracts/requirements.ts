import { z } from 'zod';
import { Metrics } from './models.js';

// Draft: the requirements engine issue completes these shapes.

export const Priority = z.enum(['must', 'should', 'could', 'wont']);
export type Priority = z.infer<typeof Priority>;

export const FieldType = z.enum([
  'string',
  'text',
  'integer',
  'number',
  'boolean',
  'date',
  'datetime',
  'email',
  'url',
  'enum',
  'id',
]);
export type FieldType = z.infer<typeof FieldType>;

export const EntityField = z.object({
  name: z.string(),
  type: FieldType,
  required: z.boolean(),
  unique: z.boolean(),
  enumValues: z.array(z.string()).optional(),
});
export type EntityField = z.infer<typeof EntityField>;

export const Relation = z.object({
  kind: z.enum(['one_to_many', 'many_to_one', 'many_to_many', 'one_to_one']),
  target: z.string(),
  verb: z.string().optional(),
});

export const Entity = z.object({
  name: z.string(),
  fields: z.array(EntityField),
  relations: z.array(Relation),
});
export type Entity = z.infer<typeof Entity>;

export const AcceptanceCriterion = z.object({
  id: z.string(),
  given: z.string(),
  when: z.string(),
  then: z.string(),
});

export const Requirement = z.object({
  id: z.string().regex(/^REQ-\d{3,}$/),
  kind: z.enum(['functional', 'non_functional', 'business_rule']),
  text: z.string(),
  source: z.string(),
  priority: Priority,
  actor: z.string().nullable(),
  entity: z.string().nullable(),
  action: z.string().nullable(),
  acceptanceCriteria: z.array(AcceptanceCriterion),
});
export type Requirement = z.infer<typeof Requirement>;

export const NonFunctional = z.object({
  requirementId: z.string().optional(),
  category: z.string(),
  metric: z.string(),
  op: z.enum(['<', '<=', '>', '>=', '==']),
  value: z.number(),
  unit: z.string(),
});

export const RequirementsSpec = z.object({
  projectName: z.string(),
  summary: z.string(),
  language: z.enum(['en', 'zh']),
  actors: z.array(z.string()),
  entities: z.array(Entity),
  requirements: z.array(Requirement),
  userStories: z.array(z.object({ id: z.string(), requirementId: z.string(), text: z.string() })),
  nonFunctional: z.array(NonFunctional),
  feasibility: z.object({
    complexity: z.number(),
    risks: z.array(z.object({ risk: z.string(), mitigation: z.string() })),
    feasible: z.boolean(),
  }),
  techHints: z.array(z.string()).default([]),
  openQuestions: z.array(z.string()),
  metrics: Metrics,
});
export type RequirementsSpec = z.infer<typeof RequirementsSpec>;

import { z } from 'zod';
import { Metrics } from './models.js';
import { ProducedBy } from './produced-by.js';

/**
 * The requirements stage artifact. Names (`Entity.name`, `EntityField.name`) are ASCII identifiers
 * (PascalCase / camelCase) that code and URLs can use; `label` keeps the words of the source text
 * (English or Chinese) for people.
 */

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

const Identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/);

export const EntityField = z.object({
  /** camelCase ASCII identifier, e.g. `dueDate`. */
  name: Identifier,
  /** The words used in the text, e.g. "due date" or "借阅日期". */
  label: z.string(),
  type: FieldType,
  required: z.boolean(),
  unique: z.boolean(),
  /** Only for `type: 'enum'`: the values as written. */
  enumValues: z.array(z.string()).optional(),
});
export type EntityField = z.infer<typeof EntityField>;

export const Relation = z.object({
  kind: z.enum(['one_to_many', 'many_to_one', 'many_to_many', 'one_to_one']),
  /** `Entity.name` of the other side. */
  target: z.string(),
  /** The verb that links them ("borrow"), when the text used one. */
  verb: z.string().optional(),
});
export type Relation = z.infer<typeof Relation>;

export const Entity = z.object({
  /** PascalCase ASCII identifier, singular, e.g. `Book`. */
  name: Identifier,
  label: z.string(),
  fields: z.array(EntityField),
  relations: z.array(Relation),
});
export type Entity = z.infer<typeof Entity>;

export const AcceptanceCriterion = z.object({
  /** `REQ-001-AC1` */
  id: z.string(),
  given: z.string(),
  when: z.string(),
  then: z.string(),
});
export type AcceptanceCriterion = z.infer<typeof AcceptanceCriterion>;

/** A business rule in a form code can check; `text` of the requirement keeps the wording. */
export const BusinessRule = z.object({
  type: z.enum(['max_count', 'min_count', 'max_value', 'min_value']),
  value: z.number(),
  /** Entity counted or constrained (`Book`), when known. */
  entity: z.string().nullable(),
  /** The owner of the count (`Member` in "3 books per member"), when given. */
  per: z.string().nullable(),
  /** The action the rule guards (`borrow`), when given. */
  action: z.string().nullable(),
  /** Field constrained by max_value/min_value, when given. */
  field: z.string().nullable(),
});
export type BusinessRule = z.infer<typeof BusinessRule>;

export const Action = z.string().min(1);

export const Requirement = z.object({
  id: z.string().regex(/^REQ-\d{3,}$/),
  kind: z.enum(['functional', 'non_functional', 'business_rule']),
  text: z.string(),
  /** The sentence of the input (or feedback) it came from, verbatim. */
  source: z.string(),
  priority: Priority,
  actor: z.string().nullable(),
  /** `Entity.name`, when the requirement is about one entity. */
  entity: z.string().nullable(),
  /** create | read | list | update | delete | search | a custom verb such as `borrow`. */
  action: Action.nullable(),
  /** The verb as written ("add", "借阅"), for stories and documents. */
  verb: z.string().optional(),
  acceptanceCriteria: z.array(AcceptanceCriterion),
  rule: BusinessRule.optional(),
});
export type Requirement = z.infer<typeof Requirement>;

export const NonFunctional = z.object({
  requirementId: z.string().optional(),
  /** performance | availability | scalability | security | usability | compliance | reliability */
  category: z.string(),
  /** e.g. `latency_p95`, `availability`, `concurrent_users`, `throughput` */
  metric: z.string(),
  op: z.enum(['<', '<=', '>', '>=', '==']),
  value: z.number(),
  unit: z.string(),
});
export type NonFunctional = z.infer<typeof NonFunctional>;

export const UserStory = z.object({ id: z.string(), requirementId: z.string(), text: z.string() });
export type UserStory = z.infer<typeof UserStory>;

export const RequirementsSpec = z.object({
  projectName: z.string(),
  summary: z.string(),
  language: z.enum(['en', 'zh']),
  actors: z.array(z.string()),
  entities: z.array(Entity),
  requirements: z.array(Requirement),
  userStories: z.array(UserStory),
  nonFunctional: z.array(NonFunctional),
  feasibility: z.object({
    /** 1 (trivial) .. 10 (very complex) */
    complexity: z.number(),
    risks: z.array(z.object({ risk: z.string(), mitigation: z.string() })),
    feasible: z.boolean(),
  }),
  techHints: z.array(z.string()).default([]),
  /** Each starts with `[category] `, then the quoted text it concerns. */
  openQuestions: z.array(z.string()),
  /**
   * functionalRequirements, mustHavesWithoutAcceptanceCriteria, sentenceCoverage (0..1),
   * openQuestions, entities, sentences, sentencesMapped, businessRules, nonFunctional, actors.
   */
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type RequirementsSpec = z.infer<typeof RequirementsSpec>;

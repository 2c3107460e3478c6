import { z } from 'zod';
import {
  atMost,
  IdentifierRef,
  line,
  OperationId,
  prose,
  RequirementRef,
  SafeId,
  singleLine,
} from './fields.js';
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

const Identifier = atMost(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), 64);

export const EntityField = z.object({
  /** camelCase ASCII identifier, e.g. `dueDate`. */
  name: Identifier,
  /** The words used in the text, e.g. "due date" or "借阅日期". */
  label: line(200),
  type: FieldType,
  required: z.boolean(),
  unique: z.boolean(),
  /** Only for `type: 'enum'`: the values as written. */
  enumValues: z.array(line(100)).optional(),
});
export type EntityField = z.infer<typeof EntityField>;

export const Relation = z.object({
  kind: z.enum(['one_to_many', 'many_to_one', 'many_to_many', 'one_to_one']),
  /** `Entity.name` of the other side. */
  target: IdentifierRef,
  /** The verb that links them ("borrow"), when the text used one. */
  verb: line(60).optional(),
});
export type Relation = z.infer<typeof Relation>;

export const Entity = z.object({
  /** PascalCase ASCII identifier, singular, e.g. `Book`. */
  name: Identifier,
  label: line(200),
  fields: z.array(EntityField),
  relations: z.array(Relation),
});
export type Entity = z.infer<typeof Entity>;

export const AcceptanceCriterion = z.object({
  /** `REQ-001-AC1` */
  id: SafeId,
  given: prose(1_000),
  when: prose(1_000),
  then: prose(1_000),
});
export type AcceptanceCriterion = z.infer<typeof AcceptanceCriterion>;

/** A count or value bound: "at most 3 loans per member" (409), "price at least 0" (422). */
export const BoundRule = z.object({
  type: z.enum(['max_count', 'min_count', 'max_value', 'min_value']),
  value: z.number(),
  /** Entity counted or constrained (`Book`), when known. */
  entity: IdentifierRef.nullable(),
  /** The owner of the count (`Member` in "3 books per member"), when given. */
  per: IdentifierRef.nullable(),
  /** The action the rule guards (`borrow`), when given. */
  action: line(60).nullable(),
  /** Field constrained by max_value/min_value, when given. */
  field: line(100).nullable(),
});
export type BoundRule = z.infer<typeof BoundRule>;

/**
 * An action changes another record: "a sale lowers the product's stock by its quantity". The
 * target's own bounds (a `min_value` rule on `field`) guard it: the action is refused (409) when the
 * result would break one.
 */
export const EffectRule = z.object({
  type: z.literal('effect'),
  /** The record whose creation has the effect (`Sale`), or the target of a custom action. */
  entity: IdentifierRef,
  /** `create`, or the custom verb (`order`) whose record has the effect. */
  action: line(60),
  /** The entity changed (`Product`), referenced by the record. */
  target: IdentifierRef,
  /** The target's numeric field changed (`stock`). */
  field: line(100),
  change: z.enum(['decrease', 'increase']),
  /** The record's field giving the amount (`quantity`); null: by one. */
  amount: line(100).nullable(),
});
export type EffectRule = z.infer<typeof EffectRule>;

/**
 * Exclusive holding: "a car out on rental cannot be rented again until it is returned". While a
 * `take` is not followed by a `release`, another `take` of the same record is refused (409); a
 * `release` of a record not held is refused too.
 */
export const HoldRule = z.object({
  type: z.literal('exclusive'),
  /** The thing held (`Car`). */
  entity: IdentifierRef,
  /** The verb that takes it (`rent`). */
  take: line(60),
  /** The verb that frees it (`return`); null: held for good once taken. */
  release: line(60).nullable(),
});
export type HoldRule = z.infer<typeof HoldRule>;

/** A business rule in a form code can check; the requirement's `source` keeps the wording. */
export const BusinessRule = z.discriminatedUnion('type', [BoundRule, EffectRule, HoldRule]);
export type BusinessRule = z.infer<typeof BusinessRule>;

/** A CRUD verb or a custom one (`borrow`); a model may write the verb of the text (`借阅`). */
export const Action = singleLine(z.string().min(1), 60);

export const Requirement = z.object({
  id: atMost(z.string().regex(/^REQ-\d{3,}$/), 16),
  kind: z.enum(['functional', 'non_functional', 'business_rule']),
  text: prose(2_000),
  /** The sentence of the input (or feedback) it came from, verbatim. */
  source: prose(4_000),
  priority: Priority,
  actor: line(100).nullable(),
  /** `Entity.name`, when the requirement is about one entity. */
  entity: IdentifierRef.nullable(),
  /** create | read | list | update | delete | search | a custom verb such as `borrow`. */
  action: Action.nullable(),
  /** The verb as written ("add", "借阅"), for stories and documents. */
  verb: line(60).optional(),
  acceptanceCriteria: z.array(AcceptanceCriterion),
  rule: BusinessRule.optional(),
});
export type Requirement = z.infer<typeof Requirement>;

export const NonFunctional = z.object({
  requirementId: RequirementRef.optional(),
  /** performance | availability | scalability | security | usability | compliance | reliability */
  category: line(60),
  /** e.g. `latency_p95`, `availability`, `concurrent_users`, `throughput` */
  metric: OperationId,
  op: z.enum(['<', '<=', '>', '>=', '==']),
  value: z.number(),
  unit: line(40),
});
export type NonFunctional = z.infer<typeof NonFunctional>;

export const UserStory = z.object({ id: SafeId, requirementId: RequirementRef, text: prose(2_000) });
export type UserStory = z.infer<typeof UserStory>;

export const RequirementsSpec = z.object({
  projectName: line(200),
  summary: prose(4_000),
  language: z.enum(['en', 'zh']),
  actors: z.array(line(100)),
  entities: z.array(Entity),
  requirements: z.array(Requirement),
  userStories: z.array(UserStory),
  nonFunctional: z.array(NonFunctional),
  feasibility: z.object({
    /** 1 (trivial) .. 10 (very complex) */
    complexity: z.number(),
    risks: z.array(z.object({ risk: prose(1_000), mitigation: prose(1_000) })),
    feasible: z.boolean(),
  }),
  techHints: z.array(line(100)).default([]),
  /** Each starts with `[category] `, then the quoted text it concerns. */
  openQuestions: z.array(prose(2_000)),
  /**
   * functionalRequirements, mustHavesWithoutAcceptanceCriteria, sentenceCoverage (0..1),
   * openQuestions, entities, sentences, sentencesMapped, businessRules, nonFunctional, actors.
   */
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type RequirementsSpec = z.infer<typeof RequirementsSpec>;

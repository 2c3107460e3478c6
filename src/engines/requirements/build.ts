import type {
  BusinessRule,
  EffectRule,
  Entity,
  EntityField,
  HoldRule,
  NonFunctional,
  Priority,
  Relation,
  Requirement,
  RequirementsSpec,
} from '../../contracts/requirements.js';
import { camelName, pascalName } from '../shared/naming.js';
import { FIELD_NAME_ALIASES } from '../shared/vocabulary.js';
import { acceptanceCriteria, userStories } from './criteria.js';
import type { ActionFact, EffectFact, HoldFact, Lang, SentenceFacts } from './facts.js';
import { inferFieldType, TECH_CHOICES } from './lexicon.js';

/**
 * Builds and extends a RequirementsSpec from sentence facts. Shared by both languages, by the first
 * analysis and by feedback re-runs: existing requirements keep their ids, criteria and stories.
 */

const EXPAND_MANAGE = ['create', 'read', 'update', 'delete', 'list'];
const CRUD = new Set(['create', 'read', 'list', 'update', 'delete', 'search', 'manage', 'auth']);

export function emptySpec(language: Lang): RequirementsSpec {
  return {
    projectName: '',
    summary: '',
    language,
    actors: [],
    entities: [],
    requirements: [],
    userStories: [],
    nonFunctional: [],
    feasibility: { complexity: 1, risks: [], feasible: false },
    techHints: [],
    openQuestions: [],
    metrics: { sentences: 0, sentencesMapped: 0 },
  };
}

export function nextRequirementNumber(spec: RequirementsSpec): number {
  let max = 0;
  for (const r of spec.requirements) max = Math.max(max, Number(r.id.slice(4)));
  // Dropped ids are never reused: the highest id ever issued is remembered in metrics.
  return Math.max(max, spec.metrics.lastRequirementNumber ?? 0) + 1;
}

function reqId(n: number): string {
  return `REQ-${String(n).padStart(3, '0')}`;
}

class Builder {
  private readonly entities: Map<string, Entity>;
  private next: number;
  constructor(private readonly spec: RequirementsSpec) {
    this.entities = new Map(spec.entities.map((e) => [e.name, e]));
    this.next = nextRequirementNumber(spec);
  }

  entity(label: string): Entity | undefined {
    const name = pascalName(label);
    if (name.length === 0) return undefined;
    let e = this.entities.get(name);
    if (e === undefined) {
      e = { name, label, fields: [], relations: [] };
      this.entities.set(name, e);
      this.spec.entities.push(e);
    }
    return e;
  }

  known(label: string | null): Entity | undefined {
    if (label === null) return undefined;
    return this.entities.get(pascalName(label));
  }

  addRequirement(r: Omit<Requirement, 'id' | 'acceptanceCriteria'>): Requirement {
    const req: Requirement = { id: reqId(this.next++), ...r, acceptanceCriteria: [] };
    this.spec.requirements.push(req);
    this.spec.metrics.lastRequirementNumber = this.next - 1;
    return req;
  }

  field(e: Entity, f: Partial<EntityField> & { label: string }): EntityField | undefined {
    const name = fieldName(f.label);
    if (name.length === 0) return undefined;
    let field = e.fields.find((x) => x.name === name);
    if (field === undefined) {
      field = {
        name,
        label: f.label,
        type: f.type ?? inferFieldType(f.label, f.enumValues),
        required: f.required ?? true,
        unique: f.unique ?? false,
        ...(f.enumValues !== undefined && f.enumValues.length > 0 ? { enumValues: f.enumValues } : {}),
      };
      e.fields.push(field);
    } else {
      if (f.unique === true) field.unique = true;
      if (f.required !== undefined) field.required = f.required;
      if (f.enumValues !== undefined && f.enumValues.length > 0) {
        field.enumValues = f.enumValues;
        field.type = 'enum';
      }
      if (f.type !== undefined) field.type = f.type;
    }
    return field;
  }

  relation(from: Entity, rel: Relation): void {
    if (from.name === rel.target) return;
    if (!from.relations.some((r) => r.target === rel.target && r.verb === rel.verb)) from.relations.push(rel);
  }

  hasFunctional(actor: string | null, action: string, entity: string): boolean {
    return this.spec.requirements.some(
      (r) => r.kind === 'functional' && r.actor === actor && r.action === action && r.entity === entity,
    );
  }
}

function functionalText(lang: Lang, a: ActionFact, verb: string, thing: string): string {
  if (lang === 'zh') return `${a.actor ?? '用户'}${a.negated ? '不能' : '可以'}${verb}${thing}`;
  return `${capital(a.actor ?? 'a user')} ${a.negated ? 'cannot' : 'can'} ${verb} ${thing}`;
}

function capital(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

function pushUnique<T>(list: T[], item: T): void {
  if (!list.includes(item)) list.push(item);
}

/** An effect or hold with its labels resolved to the spec's entity and field names. */
function behaviourRule(b: Builder, r: EffectFact | HoldFact): EffectRule | HoldRule | null {
  const entity = b.known(r.entity);
  if (entity === undefined) return null;
  if (r.type === 'exclusive') return { ...r, entity: entity.name };
  const target = b.known(r.target);
  if (target === undefined) return null;
  // The changed field and the amount are numbers whatever their words suggested ("quantity on hand").
  const nameIn = (e: Entity, label: string) => {
    const field = e.fields.find((x) => x.label === label || x.name === fieldName(label));
    if (field !== undefined && field.type !== 'integer' && field.type !== 'number') field.type = 'integer';
    return field?.name ?? fieldName(label);
  };
  return {
    ...r,
    entity: entity.name,
    target: target.name,
    field: nameIn(target, r.field),
    amount: r.amount === null ? null : nameIn(entity, r.amount),
  };
}

/** Adds everything the facts say to `spec` (mutated). */
export function applyFacts(spec: RequirementsSpec, facts: SentenceFacts[]): void {
  const b = new Builder(spec);
  const actors = new Set([...spec.actors, ...facts.flatMap((f) => f.actors)]);
  // Pass 1: entities named by actions, field lists, relations and rules, so later passes can tell
  // a field that names an entity ("a loan has a member") from a plain field.
  for (const f of facts) {
    for (const a of f.actions) {
      if (a.object === null || a.action === 'auth') continue;
      const target = b.entity(a.object);
      // Someone who performs a domain action on a thing is part of the data ("members borrow books").
      if (a.actor !== null && !CRUD.has(a.action) && target !== undefined && !a.negated) {
        const actorEntity = b.entity(a.actor);
        if (actorEntity !== undefined)
          b.relation(actorEntity, { kind: 'many_to_many', target: target.name, verb: a.action });
      }
    }
    for (const ff of f.fields) b.entity(ff.entity);
    for (const r of f.relations) {
      b.entity(r.from);
      b.entity(r.to);
    }
    for (const r of f.rules) {
      if (r.entity !== null) b.entity(r.entity);
      if (r.per !== null) b.entity(r.per);
    }
    for (const r of f.behaviours) {
      b.entity(r.entity);
      if (r.type === 'effect') b.entity(r.target);
    }
  }

  for (const f of facts) {
    spec.metrics.sentences = (spec.metrics.sentences ?? 0) + 1;
    let mapped = false;
    for (const q of f.questions) pushUnique(spec.openQuestions, q);
    if (f.skipped) continue;
    for (const actor of f.actors) pushUnique(spec.actors, actor);
    for (const h of f.techHints) pushUnique(spec.techHints, h);
    const basePriority: Priority = f.priority ?? 'must';
    // A rule is its sentence: one business-rule requirement, quoting it.
    const addRule = (rule: BusinessRule, action: string | null) => {
      b.addRequirement({
        kind: 'business_rule',
        text: f.source,
        source: f.source,
        priority: basePriority,
        actor: null,
        entity: rule.entity,
        action,
        rule,
      });
      mapped = true;
    };

    for (const a of f.actions) {
      const priority: Priority = a.negated ? 'wont' : basePriority;
      if (a.action === 'auth') {
        pushUnique(spec.techHints, 'authentication');
        if (!spec.requirements.some((r) => r.action === 'auth')) {
          b.addRequirement({
            kind: 'non_functional',
            text:
              f.lang === 'zh'
                ? `${a.actor ?? '用户'}需要${a.verb}`
                : `${capital(a.actor ?? 'users')} must ${a.verb}`,
            source: f.source,
            priority,
            actor: a.actor,
            entity: null,
            action: 'auth',
            verb: a.verb,
          });
        }
        mapped = true;
        continue;
      }
      const e = a.object === null ? undefined : b.known(a.object);
      if (e === undefined) {
        pushUnique(
          spec.openQuestions,
          `[no_entity] "${a.verb}" in "${f.source}": no object to act on was found`,
        );
        continue;
      }
      mapped = true;
      const actions = a.action === 'manage' ? EXPAND_MANAGE : [a.action];
      for (const action of actions) {
        if (b.hasFunctional(a.actor, action, e.name)) continue;
        b.addRequirement({
          kind: 'functional',
          text: functionalText(f.lang, a, a.action === 'manage' ? `${a.verb} (${action})` : a.verb, e.label),
          source: f.source,
          priority,
          actor: a.actor,
          entity: e.name,
          action,
          verb: a.action === 'manage' ? action : a.verb,
        });
      }
    }

    for (const ff of f.fields) {
      const e = b.known(ff.entity);
      if (e === undefined) continue;
      for (const m of ff.fields) {
        // A field that names a role or another entity is a reference to it ("an appointment with a doctor").
        const other =
          actors.has(m.label) && m.enumValues === undefined ? b.entity(m.label) : b.known(m.label);
        if (other !== undefined && other.name !== e.name && m.enumValues === undefined) {
          b.relation(e, { kind: 'many_to_one', target: other.name });
        } else {
          b.field(e, {
            label: m.label,
            unique: m.unique,
            ...(m.required !== null ? { required: m.required } : {}),
            ...(m.enumValues !== undefined ? { enumValues: m.enumValues } : {}),
            ...(m.type !== undefined ? { type: m.type } : {}),
          });
        }
        mapped = true;
      }
    }
    for (const r of f.relations) {
      const from = b.known(r.from);
      const to = b.known(r.to);
      if (from === undefined || to === undefined) continue;
      b.relation(from, { kind: r.kind, target: to.name, ...(r.verb !== undefined ? { verb: r.verb } : {}) });
      mapped = true;
    }
    for (const s of f.fieldStatements) {
      const name = fieldName(s.field);
      const explicit = s.entity === null ? undefined : b.known(s.entity);
      const word = s.field.toLowerCase();
      const matches = (x: EntityField) => x.name === name || x.label.toLowerCase().split(' ').includes(word);
      const owners =
        explicit !== undefined ? [explicit] : spec.entities.filter((e) => e.fields.some(matches));
      if (owners.length === 0) {
        // "ISBN must be unique" before any entity lists ISBN: the owner is unknown, so ask.
        pushUnique(
          spec.openQuestions,
          `[unresolved_field] "${f.source}": no entity has a field "${s.field}"`,
        );
        continue;
      }
      for (const e of owners) {
        b.field(e, {
          label: e.fields.find(matches)?.label ?? s.field,
          ...(s.unique !== undefined ? { unique: s.unique } : {}),
          ...(s.type !== undefined ? { type: s.type } : {}),
          ...(s.enumValues !== undefined ? { enumValues: s.enumValues } : {}),
        });
      }
      mapped = true;
    }
    for (const r of f.rules) {
      const counted = r.entity === null ? undefined : b.known(r.entity);
      const per = r.per === null ? undefined : b.known(r.per);
      const rule: BusinessRule = {
        type: r.type,
        value: r.value,
        entity: counted?.name ?? null,
        per: per?.name ?? null,
        action: r.action,
        field: r.field === null ? null : camelName(r.field) || null,
      };
      if (rule.field !== null && rule.entity === null) {
        rule.entity = spec.entities.find((e) => e.fields.some((x) => x.name === rule.field))?.name ?? null;
      }
      addRule(rule, rule.action);
    }
    for (const r of f.behaviours) {
      const rule = behaviourRule(b, r);
      if (rule !== null) addRule(rule, rule.type === 'effect' ? rule.action : rule.take);
    }
    for (const n of f.nfrs) {
      const req = b.addRequirement({
        kind: 'non_functional',
        text: `${n.metric} ${n.op} ${n.value} ${n.unit} ("${n.phrase}")`,
        source: f.source,
        priority: basePriority,
        actor: null,
        entity: null,
        action: null,
      });
      spec.nonFunctional.push({
        requirementId: req.id,
        category: n.category,
        metric: n.metric,
        op: n.op,
        value: n.value,
        unit: n.unit,
      });
      mapped = true;
    }
    for (const m of f.nfrMentions) {
      b.addRequirement({
        kind: 'non_functional',
        text: `${m.category}: "${m.phrase}"`,
        source: f.source,
        priority: basePriority,
        actor: null,
        entity: null,
        action: null,
      });
      pushUnique(
        spec.openQuestions,
        `[nfr_without_target] "${m.phrase}" in "${f.source}": which measurable ${m.category} target?`,
      );
      mapped = true;
    }
    if (f.namesProject === true || f.techHints.some((h) => TECH_CHOICES.has(h))) mapped = true;
    if (mapped) spec.metrics.sentencesMapped = (spec.metrics.sentencesMapped ?? 0) + 1;
    else pushUnique(spec.openQuestions, `[unmapped] "${f.source}"`);
  }
}

/** A field's name from its label: "email address" is `email` (FIELD_NAME_ALIASES). */
export function fieldName(label: string): string {
  return camelName(FIELD_NAME_ALIASES[label.toLowerCase().trim()] ?? label);
}

/** The first names of a list and how many more: a long document's summary stays a summary (the contract caps it). */
function listSome(names: string[], shown = 12): string {
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head} and ${names.length - shown} more` : head;
}

/** Recomputes everything derived: criteria and stories where missing, feasibility, summary, metrics. */
export function finalize(spec: RequirementsSpec, benefits: Map<string, string>): RequirementsSpec {
  const entities = new Map(spec.entities.map((e) => [e.name, e]));
  const nfrByReq = new Map<string, NonFunctional>();
  for (const n of spec.nonFunctional) if (n.requirementId !== undefined) nfrByReq.set(n.requirementId, n);
  for (const r of spec.requirements) {
    if (r.acceptanceCriteria.length === 0)
      r.acceptanceCriteria = acceptanceCriteria(r, entities, nfrByReq.get(r.id));
  }
  const ids = new Set(spec.requirements.map((r) => r.id));
  const kept = spec.userStories.filter((s) => ids.has(s.requirementId));
  const haveStory = new Set(kept.map((s) => s.requirementId));
  const fresh = userStories(spec, benefits).filter((s) => !haveStory.has(s.requirementId));
  spec.userStories = [...kept, ...fresh].sort((a, b) => a.requirementId.localeCompare(b.requirementId));

  const functional = spec.requirements.filter((r) => r.kind === 'functional');
  spec.feasibility = feasibility(spec, functional.length);
  if (spec.projectName.length === 0)
    spec.projectName =
      spec.entities[0] !== undefined ? `${spec.entities[0].label} service` : 'Untitled project';
  const names = listSome(spec.entities.map((e) => e.name));
  spec.summary = `${spec.projectName}: ${functional.length} functional requirement(s) over ${spec.entities.length} entit${spec.entities.length === 1 ? 'y' : 'ies'}${names.length > 0 ? ` (${names})` : ''}; actors: ${listSome(spec.actors) || 'none named'}; ${spec.nonFunctional.length} measurable non-functional target(s); ${spec.openQuestions.length} open question(s).`;
  const sentences = spec.metrics.sentences ?? 0;
  const mapped = spec.metrics.sentencesMapped ?? 0;
  spec.metrics = {
    ...spec.metrics,
    functionalRequirements: functional.length,
    mustHavesWithoutAcceptanceCriteria: spec.requirements.filter(
      (r) => r.priority === 'must' && r.acceptanceCriteria.length === 0,
    ).length,
    sentenceCoverage: sentences === 0 ? 0 : Math.round((mapped / sentences) * 1000) / 1000,
    openQuestions: spec.openQuestions.length,
    entities: spec.entities.length,
    businessRules: spec.requirements.filter((r) => r.kind === 'business_rule').length,
    nonFunctional: spec.requirements.filter((r) => r.kind === 'non_functional').length,
    actors: spec.actors.length,
    userStories: spec.userStories.length,
  };
  return spec;
}

function feasibility(spec: RequirementsSpec, functional: number): RequirementsSpec['feasibility'] {
  const risks: RequirementsSpec['feasibility']['risks'] = [];
  let score = 1 + spec.entities.length * 0.4 + functional * 0.15;
  const custom = spec.requirements.filter(
    (r) => r.kind === 'functional' && r.action !== null && !CRUD.has(r.action),
  );
  score += custom.length * 0.2;
  let feasible = functional > 0;
  if (functional === 0) {
    risks.push({
      risk: 'No functional requirement was understood',
      mitigation: 'Answer the open questions or rephrase as "<actor> can <verb> <thing>"',
    });
  }
  for (const n of spec.nonFunctional) {
    if (n.metric.startsWith('latency') && n.value < 100) {
      score += 1;
      risks.push({
        risk: `Tight latency target (${n.metric} ${n.op} ${n.value} ms)`,
        mitigation: 'Indexes on lookup fields, caching of reads, load test before release',
      });
      if (n.value < 5) feasible = false;
    }
    if (n.metric === 'availability' && n.value >= 99.9) {
      score += 1;
      risks.push({
        risk: `High availability target (${n.value}%)`,
        mitigation: 'Two or more replicas behind a load balancer, health checks, automatic rollback',
      });
      if (n.value >= 100) feasible = false;
    }
    if (n.metric === 'concurrent_users' && n.value >= 10_000) {
      score += 1;
      risks.push({
        risk: `${n.value} concurrent users`,
        mitigation: 'Stateless service scaled horizontally; load test at the target',
      });
    }
  }
  const hinted: Array<[string, string, string]> = [
    ['real-time', 'Real-time updates', 'Push over WebSocket/SSE from one place; poll as a fallback'],
    ['payments', 'Payment handling', 'Use a payment provider; never store card data'],
    [
      'machine-learning',
      'Recommendations / AI',
      'Start with rule-based ranking; add a model behind an interface later',
    ],
    ['geolocation', 'Location features', 'Use a maps provider API; store coordinates as numbers'],
    ['mobile', 'Mobile client', 'Ship the API first; a mobile client consumes the same OpenAPI contract'],
    [
      'game-engine',
      '3D / game engine work',
      'Out of scope for the generated service; the service keeps state and scores',
    ],
  ];
  for (const [hint, risk, mitigation] of hinted) {
    if (spec.techHints.includes(hint)) {
      score += 0.7;
      risks.push({ risk, mitigation });
    }
  }
  if (spec.openQuestions.length > 5) {
    risks.push({
      risk: `${spec.openQuestions.length} open questions`,
      mitigation: 'Resolve them at the requirements gate',
    });
  }
  return { complexity: Math.max(1, Math.min(10, Math.round(score))), risks, feasible };
}

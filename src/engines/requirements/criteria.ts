import type {
  AcceptanceCriterion,
  Entity,
  NonFunctional,
  Requirement,
  RequirementsSpec,
  UserStory,
} from '../../contracts/requirements.js';

/** Given/When/Then for a requirement, from its action, entity fields and rule. */
export function acceptanceCriteria(
  req: Requirement,
  entities: Map<string, Entity>,
  nfr: NonFunctional | undefined,
): AcceptanceCriterion[] {
  const e = req.entity === null ? undefined : entities.get(req.entity);
  const thing = e?.label ?? req.entity ?? 'item';
  const who = req.actor ?? 'a user';
  const out: Array<Omit<AcceptanceCriterion, 'id'>> = [];
  const required = e?.fields.filter((f) => f.required) ?? [];
  const unique = e?.fields.filter((f) => f.unique) ?? [];
  if (req.kind === 'functional') {
    switch (req.action) {
      case 'create':
        out.push({
          given: `${who} is signed in`,
          when: `they submit a new ${thing}${required.length > 0 ? ` with ${required.map((f) => f.label).join(', ')}` : ''}`,
          then: `the ${thing} is stored and returned with an id`,
        });
        if (required.length > 0) {
          out.push({
            given: `${who} is signed in`,
            when: `they submit a ${thing} without ${required[0]!.label}`,
            then: 'the request is rejected with a validation error and nothing is stored',
          });
        }
        for (const f of unique) {
          out.push({
            given: `a ${thing} with a given ${f.label} exists`,
            when: `${who} submits another ${thing} with the same ${f.label}`,
            then: 'the request is rejected as a conflict',
          });
        }
        break;
      case 'read':
        out.push({
          given: `a ${thing} exists`,
          when: `${who} requests it by id`,
          then: `its fields are returned`,
        });
        out.push({
          given: `no ${thing} has a given id`,
          when: `${who} requests that id`,
          then: 'a not-found error is returned',
        });
        break;
      case 'list':
        out.push({
          given: `several ${thing} records exist`,
          when: `${who} lists them`,
          then: 'all of them are returned',
        });
        break;
      case 'update':
        out.push({
          given: `a ${thing} exists`,
          when: `${who} changes one of its fields with a valid value`,
          then: 'the change is stored and returned',
        });
        out.push({
          given: `no ${thing} has a given id`,
          when: `${who} updates that id`,
          then: 'a not-found error is returned',
        });
        break;
      case 'delete':
        out.push({
          given: `a ${thing} exists`,
          when: `${who} deletes it`,
          then: `the ${thing} can no longer be retrieved`,
        });
        break;
      case 'search': {
        const by = e?.fields.find((f) => f.type === 'string' || f.type === 'text')?.label ?? 'a search term';
        out.push({
          given: `${thing} records exist, some matching ${by}`,
          when: `${who} searches by ${by}`,
          then: 'only the matching records are returned',
        });
        break;
      }
      default:
        out.push({
          given: `a ${thing} exists`,
          when: `${who} performs "${req.action}" on it`,
          then: `the ${req.action} is recorded for that ${thing}`,
        });
        out.push({
          given: `no ${thing} has a given id`,
          when: `${who} performs "${req.action}" on that id`,
          then: 'a not-found error is returned',
        });
    }
  } else if (req.kind === 'business_rule' && req.rule?.type === 'effect') {
    const r = req.rule;
    const record = entities.get(r.entity)?.label ?? r.entity;
    const target = entities.get(r.target)?.label ?? r.target;
    const by = r.amount === null ? 'one' : `the ${record}'s ${r.amount}`;
    out.push({
      given: `a ${target} with a known ${r.field}`,
      when: `a ${record} for it is recorded`,
      then: `the ${target}'s ${r.field} ${r.change === 'decrease' ? 'falls' : 'rises'} by ${by}`,
    });
  } else if (req.kind === 'business_rule' && req.rule?.type === 'exclusive') {
    const r = req.rule;
    const thing = entities.get(r.entity)?.label ?? r.entity;
    out.push({
      given: `a ${thing} that was ${r.take} and not ${r.release ?? 'released'}`,
      when: `someone tries to ${r.take} it`,
      then: 'the request is refused as a conflict and nothing changes',
    });
    if (r.release !== null)
      out.push({
        given: `a ${thing} that was ${r.take} and then ${r.release}`,
        when: `someone tries to ${r.take} it`,
        then: 'the request succeeds',
      });
  } else if (req.kind === 'business_rule' && req.rule !== undefined && 'value' in req.rule) {
    const r = req.rule;
    const counted = r.entity === null ? 'item' : (entities.get(r.entity)?.label ?? r.entity);
    const per = r.per === null ? 'the same owner' : `one ${entities.get(r.per)?.label ?? r.per}`;
    const act = r.action ?? 'add';
    if (r.type === 'max_count') {
      out.push({
        given: `${per} already has ${r.value} ${counted} records`,
        when: `${act} is requested for one more ${counted}`,
        then: 'the request is refused with a rule violation and nothing changes',
      });
      out.push({
        given: `${per} has fewer than ${r.value} ${counted} records`,
        when: `${act} is requested for one more ${counted}`,
        then: 'the request succeeds',
      });
    } else if (r.type === 'min_count') {
      out.push({
        given: `${per} has fewer than ${r.value} ${counted} records`,
        when: `${act} is requested`,
        then: 'the request is refused with a rule violation',
      });
    } else {
      const cmp = r.type === 'min_value' ? `below ${r.value}` : `above ${r.value}`;
      out.push({
        given: `a ${counted}`,
        when: `its ${r.field ?? 'value'} is set ${cmp}`,
        then: 'the request is rejected with a validation error',
      });
    }
  } else if (nfr !== undefined) {
    out.push({
      given: 'the service runs under the expected load',
      when: `${nfr.metric} is measured over a monitoring window`,
      then: `${nfr.metric} ${nfr.op} ${nfr.value} ${nfr.unit}`,
    });
  } else if (req.action === 'auth') {
    out.push({
      given: 'a registered user',
      when: 'they sign in with valid credentials',
      then: 'they get access',
    });
    out.push({
      given: 'anyone',
      when: 'they call a protected operation without credentials',
      then: 'the call is refused (401)',
    });
  } else {
    out.push({
      given: 'the delivered service',
      when: 'it is reviewed against this quality',
      then: `a reviewer confirms it (no measurable target was given: "${req.source}")`,
    });
  }
  return out.map((c, i) => ({ id: `${req.id}-AC${i + 1}`, ...c }));
}

export function userStories(
  spec: Pick<RequirementsSpec, 'requirements' | 'entities' | 'language'>,
  benefits: Map<string, string>,
): UserStory[] {
  const entities = new Map(spec.entities.map((e) => [e.name, e]));
  const stories: UserStory[] = [];
  for (const r of spec.requirements) {
    if (r.kind !== 'functional' || r.entity === null || r.action === null) continue;
    const thing = entities.get(r.entity)?.label ?? r.entity;
    const benefit = benefits.get(r.source);
    const verb = r.verb ?? r.action;
    const text =
      spec.language === 'zh'
        ? `作为${r.actor ?? '用户'}，我希望${verb}${thing}${benefit === undefined ? '' : `，以便${benefit}`}。`
        : `As ${article(r.actor ?? 'user')} ${r.actor ?? 'user'}, I want to ${verb} ${article(thing)} ${thing}${benefit === undefined ? '' : ` so that ${benefit}`}.`;
    stories.push({ id: `US-${r.id.slice(4)}`, requirementId: r.id, text });
  }
  return stories;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

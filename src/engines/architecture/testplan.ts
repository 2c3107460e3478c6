import type { TestCase, TestPlan } from '../../contracts/architecture.js';
import type { RequirementsSpec } from '../../contracts/requirements.js';
import { buildOpenApi } from '../shared/openapi.js';

/** Test cases from acceptance criteria, plus one smoke case (create + read) per entity that has both. */
export function deriveTestPlan(spec: RequirementsSpec): TestPlan {
  const { endpoints } = buildOpenApi(spec, false);
  const opOf = new Map<string, string>();
  for (const ep of endpoints)
    for (const id of ep.requirementIds) if (!opOf.has(id)) opOf.set(id, ep.operationId);
  const cases: TestCase[] = [];
  let n = 1;
  const id = () => `TC-${String(n++).padStart(3, '0')}`;

  for (const e of spec.entities) {
    const create = spec.requirements.find(
      (r) => r.kind === 'functional' && r.entity === e.name && r.action === 'create' && r.priority !== 'wont',
    );
    if (create === undefined) continue;
    const read = spec.requirements.find(
      (r) => r.kind === 'functional' && r.entity === e.name && (r.action === 'read' || r.action === 'list'),
    );
    const createOp = endpoints.find((ep) => ep.entity === e.name && ep.action === 'create');
    cases.push({
      id: id(),
      name: `smoke: create and read back a ${e.label}`,
      requirementIds: [create.id, ...(read !== undefined ? [read.id] : [])],
      kind: 'smoke',
      given: 'the deployed service is running',
      when: `a valid ${e.label} is created${read !== undefined ? ' and then read by its id' : ''}`,
      then: `the ${e.label} comes back with an id and the submitted fields`,
      ...(createOp !== undefined ? { operationId: createOp.operationId } : {}),
    });
  }
  for (const r of spec.requirements) {
    if (r.priority === 'wont') continue;
    const kind: TestCase['kind'] = r.kind === 'business_rule' ? 'unit' : 'integration';
    for (const c of r.acceptanceCriteria) {
      const op = opOf.get(r.id);
      cases.push({
        id: id(),
        name: `${r.id} ${c.id}: ${c.when}`,
        requirementIds: [r.id],
        kind,
        given: c.given,
        when: c.when,
        then: c.then,
        ...(op !== undefined ? { operationId: op } : {}),
      });
    }
  }
  const covered = new Set(cases.flatMap((c) => c.requirementIds));
  const relevant = spec.requirements.filter((r) => r.priority !== 'wont');
  return {
    cases,
    metrics: {
      cases: cases.length,
      requirementsWithoutCases: relevant.filter((r) => !covered.has(r.id)).length,
      smokeCases: cases.filter((c) => c.kind === 'smoke').length,
    },
  };
}

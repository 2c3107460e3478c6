import { describe, expect, it } from 'vitest';
import { RequirementsSpec } from '../../contracts/requirements.js';
import { analyzeRequirements } from './analyze.js';
import { GOLDEN_EN, UNMAPPABLE } from './golden-texts.js';

function analyse(text: string): RequirementsSpec {
  return RequirementsSpec.parse(analyzeRequirements({ text }));
}
const entity = (s: RequirementsSpec, name: string) => s.entities.find((e) => e.name === name);
const field = (s: RequirementsSpec, e: string, f: string) => entity(s, e)?.fields.find((x) => x.name === f);
const fr = (s: RequirementsSpec, action: string, e: string) =>
  s.requirements.find((r) => r.kind === 'functional' && r.action === action && r.entity === e);

describe('English golden set', () => {
  it('library: fields, types, unique, enum, relation, rule, NFRs, priorities, open questions', () => {
    const s = analyse(GOLDEN_EN.library);
    expect(s.language).toBe('en');
    expect(s.projectName).toBe('LibraryHub');
    expect(s.actors).toEqual(expect.arrayContaining(['librarian', 'member']));
    expect(field(s, 'Book', 'isbn')).toMatchObject({ type: 'string', unique: true });
    expect(field(s, 'Book', 'dueDate')?.type).toBe('date');
    expect(field(s, 'Book', 'status')).toMatchObject({
      type: 'enum',
      enumValues: ['available', 'borrowed', 'lost'],
    });
    expect(field(s, 'Member', 'email')?.type).toBe('email');
    expect(entity(s, 'Member')?.relations).toContainEqual({
      kind: 'many_to_many',
      target: 'Book',
      verb: 'borrow',
    });
    expect(fr(s, 'create', 'Book')).toMatchObject({ actor: 'librarian', priority: 'must' });
    expect(fr(s, 'borrow', 'Book')?.actor).toBe('member');
    expect(fr(s, 'search', 'Book')?.priority).toBe('should');
    expect(fr(s, 'reserve', 'Book')?.priority).toBe('could');
    const rule = s.requirements.find((r) => r.kind === 'business_rule');
    expect(rule?.rule).toMatchObject({
      type: 'max_count',
      value: 3,
      entity: 'Book',
      per: 'Member',
      action: 'borrow',
    });
    expect(s.nonFunctional).toContainEqual(
      expect.objectContaining({ metric: 'latency_p95', op: '<=', value: 200, unit: 'ms' }),
    );
    expect(s.nonFunctional).toContainEqual(
      expect.objectContaining({ metric: 'availability', op: '>=', value: 99.9 }),
    );
    expect(s.openQuestions.some((q) => q.includes('The colour of the sky is irrelevant.'))).toBe(true);
    // The opening sentence names the product: understood, not an open question.
    expect(s.openQuestions.some((q) => q.includes('[unmapped] "LibraryHub is a library service."'))).toBe(
      false,
    );
    expect(s.metrics.mustHavesWithoutAcceptanceCriteria).toBe(0);
    expect(s.metrics.sentenceCoverage).toBeGreaterThan(0.6);
    expect(s.metrics.sentenceCoverage).toBeLessThan(1);
    for (const r of s.requirements.filter((x) => x.kind === 'functional')) {
      expect(r.acceptanceCriteria.length).toBeGreaterThan(0);
      expect(r.id).toMatch(/^REQ-\d{3}$/);
    }
    expect(s.userStories.find((u) => u.requirementId === fr(s, 'borrow', 'Book')?.id)?.text).toBe(
      'As a member, I want to borrow a book.',
    );
  });

  it('shop: manage expands to CRUD, number/integer types, one-to-many, latency target, could', () => {
    const s = analyse(GOLDEN_EN.shop);
    expect(field(s, 'Product', 'price')?.type).toBe('number');
    expect(field(s, 'Product', 'stockQuantity')?.type).toBe('integer');
    expect(entity(s, 'Order')?.relations).toContainEqual({ kind: 'one_to_many', target: 'Item' });
    for (const a of ['create', 'read', 'update', 'delete', 'list']) {
      expect(
        s.requirements.some((r) => r.action === a && r.entity === 'Product' && r.actor === 'admin'),
      ).toBe(true);
    }
    expect(fr(s, 'list', 'Product')?.actor).toBe('customer');
    expect(fr(s, 'create', 'Order')?.actor).toBe('customer');
    expect(fr(s, 'cancel', 'Order')?.priority).toBe('could');
    expect(s.nonFunctional[0]).toMatchObject({ metric: 'latency_p95', value: 300 });
  });

  it('clinic: enum status, many-to-one to a role, datetime, availability', () => {
    const s = analyse(GOLDEN_EN.clinic);
    expect(fr(s, 'create', 'Appointment')?.actor).toBe('patient');
    expect(fr(s, 'cancel', 'Appointment')?.priority).toBe('must');
    expect(fr(s, 'read', 'Appointment')).toMatchObject({ actor: 'doctor', priority: 'should' });
    expect(field(s, 'Appointment', 'startTime')?.type).toBe('datetime');
    expect(field(s, 'Appointment', 'status')?.enumValues).toEqual(['scheduled', 'completed', 'cancelled']);
    expect(entity(s, 'Appointment')?.relations).toContainEqual({ kind: 'many_to_one', target: 'Doctor' });
    // "an email address" is the `email` field people expect (issue 17).
    expect(field(s, 'Patient', 'email')).toMatchObject({ type: 'email', unique: true });
    expect(s.nonFunctional).toContainEqual(expect.objectContaining({ metric: 'availability', value: 99.95 }));
  });

  it("todo: coordinated verbs, searchable adjective, scale target, won't", () => {
    const s = analyse(GOLDEN_EN.todo);
    expect(fr(s, 'create', 'Task')).toBeDefined();
    expect(fr(s, 'update', 'Task')).toBeDefined();
    expect(fr(s, 'delete', 'Task')).toBeDefined();
    expect(fr(s, 'search', 'Task')?.priority).toBe('should');
    expect(field(s, 'Task', 'description')?.type).toBe('text');
    expect(s.nonFunctional[0]).toMatchObject({ metric: 'concurrent_users', op: '>=', value: 10000 });
    expect(fr(s, 'share', 'Task')?.priority).toBe('wont');
  });

  it('courses: rule per actor when the "per" word is a time unit, security without a target', () => {
    const s = analyse(GOLDEN_EN.courses);
    expect(fr(s, 'enroll', 'Course')?.actor).toBe('student');
    expect(field(s, 'Course', 'capacity')?.type).toBe('integer');
    const rule = s.requirements.find((r) => r.kind === 'business_rule')?.rule;
    expect(rule).toMatchObject({ type: 'max_count', value: 5, entity: 'Course', per: 'Student' });
    expect(s.openQuestions.some((q) => q.startsWith('[nfr_without_target]') && q.includes('secure'))).toBe(
      true,
    );
  });

  it('blog: passive voice, belongs to, benefit in the user story', () => {
    const s = analyse(GOLDEN_EN.blog);
    const write = fr(s, 'create', 'Post');
    expect(write?.actor).toBe('author');
    expect(s.userStories.find((u) => u.requirementId === write?.id)?.text).toContain(
      'so that readers learn something',
    );
    expect(entity(s, 'Post')?.relations).toContainEqual({ kind: 'many_to_one', target: 'Category' });
    expect(field(s, 'Post', 'body')?.type).toBe('text');
    expect(fr(s, 'delete', 'Post')?.actor).toBe('admin');
  });

  it('expenses: pronoun actor, throughput, tech hints', () => {
    const s = analyse(GOLDEN_EN.expenses);
    expect(fr(s, 'read', 'Expense')?.actor).toBe('user');
    expect(field(s, 'Expense', 'amount')?.type).toBe('number');
    expect(field(s, 'Expense', 'date')?.type).toBe('date');
    expect(s.nonFunctional).toContainEqual(
      expect.objectContaining({ metric: 'throughput', value: 500, unit: 'req/s' }),
    );
    expect(s.techHints).toEqual(expect.arrayContaining(['mobile', 'real-time', 'PostgreSQL']));
    // Naming the database is a constraint the architecture honours: understood, not an open question.
    expect(s.openQuestions).not.toContain('[unmapped] "Data is stored in PostgreSQL."');
  });

  it('hotel: field statements in their own sentences', () => {
    const s = analyse(GOLDEN_EN.hotel);
    expect(fr(s, 'reserve', 'Room')?.actor).toBe('guest');
    expect(field(s, 'Room', 'rate')?.type).toBe('number');
    expect(field(s, 'Room', 'type')).toMatchObject({
      type: 'enum',
      enumValues: ['single', 'double', 'suite'],
    });
    expect(fr(s, 'update', 'Room')?.actor).toBe('receptionist');
  });

  it('events: value rule, p99 latency in seconds', () => {
    const s = analyse(GOLDEN_EN.events);
    expect(fr(s, 'create', 'Event')?.actor).toBe('organizer');
    expect(field(s, 'Event', 'ticketPrice')?.type).toBe('number');
    expect(s.requirements.find((r) => r.kind === 'business_rule')?.rule).toMatchObject({
      type: 'min_value',
      value: 0,
      // The field as the entity has it (`ticketPrice`), not only its last word.
      field: 'ticketPrice',
    });
    expect(s.nonFunctional).toContainEqual(
      expect.objectContaining({ metric: 'latency_p99', value: 2000, unit: 'ms' }),
    );
  });

  it('a description the engine cannot map keeps every sentence in openQuestions', () => {
    const text = UNMAPPABLE.en;
    const s = analyse(text);
    expect(s.metrics.functionalRequirements).toBe(0);
    expect(s.metrics.sentenceCoverage).toBe(0);
    for (const sentence of [
      'It is a delightful experience.',
      'Everything feels magical.',
      'Enjoy the journey!',
    ]) {
      expect(s.openQuestions.some((q) => q.includes(sentence))).toBe(true);
    }
    expect(s.feasibility.feasible).toBe(false);
  });
});

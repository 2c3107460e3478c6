import { describe, expect, it } from 'vitest';
import { RequirementsSpec } from '../../contracts/requirements.js';
import { analyzeRequirements } from './analyze.js';
import { GOLDEN_ZH, UNMAPPABLE } from './golden-texts.js';

function analyse(text: string): RequirementsSpec {
  return RequirementsSpec.parse(analyzeRequirements({ text }));
}
const entity = (s: RequirementsSpec, name: string) => s.entities.find((e) => e.name === name);
const field = (s: RequirementsSpec, e: string, label: string) =>
  entity(s, e)?.fields.find((x) => x.label === label);
const fr = (s: RequirementsSpec, action: string, e: string) =>
  s.requirements.find((r) => r.kind === 'functional' && r.action === action && r.entity === e);

describe('Chinese golden set', () => {
  it('图书馆: fields, enum, unique, relation, rule, NFRs, priorities, open questions', () => {
    const s = analyse(GOLDEN_ZH.library);
    expect(s.language).toBe('zh');
    expect(s.projectName).toBe('图书馆管理系统');
    expect(s.actors).toEqual(expect.arrayContaining(['图书管理员', '会员']));
    expect(entity(s, 'Book')?.label).toBe('图书');
    expect(field(s, 'Book', 'ISBN')).toMatchObject({ name: 'isbn', unique: true });
    expect(field(s, 'Book', '状态')).toMatchObject({
      name: 'status',
      type: 'enum',
      enumValues: ['可借', '已借出', '遗失'],
    });
    expect(field(s, 'Book', '书名')?.name).toBe('title');
    for (const a of ['create', 'update', 'delete'])
      expect(fr(s, a, 'Book')).toMatchObject({ actor: '图书管理员', priority: 'could' });
    expect(fr(s, 'borrow', 'Book')).toMatchObject({ actor: '会员', priority: 'must' });
    expect(fr(s, 'search', 'Book')?.priority).toBe('should');
    expect(entity(s, 'Member')?.relations).toContainEqual({
      kind: 'many_to_many',
      target: 'Book',
      verb: 'borrow',
    });
    expect(s.requirements.find((r) => r.kind === 'business_rule')?.rule).toMatchObject({
      type: 'max_count',
      value: 3,
      entity: 'Book',
      per: 'Member',
      action: 'borrow',
    });
    expect(s.nonFunctional).toContainEqual(
      expect.objectContaining({ metric: 'latency_p95', value: 200, unit: 'ms' }),
    );
    expect(s.nonFunctional).toContainEqual(expect.objectContaining({ metric: 'availability', value: 99.9 }));
    expect(s.openQuestions.some((q) => q.includes('天空是蓝色的'))).toBe(true);
    expect(s.openQuestions.some((q) => q.startsWith('[unmapped]') && q.includes('是一个在线借阅平台'))).toBe(
      false,
    );
    expect(s.metrics.mustHavesWithoutAcceptanceCriteria).toBe(0);
    expect(s.userStories.find((u) => u.requirementId === fr(s, 'borrow', 'Book')?.id)?.text).toBe(
      '作为会员，我希望借阅图书。',
    );
  });

  it('商城: 管理 expands to CRUD, number and integer types, one-to-many', () => {
    const s = analyse(GOLDEN_ZH.shop);
    for (const a of ['create', 'read', 'update', 'delete', 'list'])
      expect(fr(s, a, 'Product')?.actor).toBe('管理员');
    expect(field(s, 'Product', '价格')?.type).toBe('number');
    expect(field(s, 'Product', '库存')?.type).toBe('integer');
    expect(entity(s, 'Order')?.relations).toContainEqual({ kind: 'one_to_many', target: 'Product' });
    expect(fr(s, 'buy', 'Product')?.actor).toBe('顾客');
    expect(fr(s, 'create', 'Order')?.actor).toBe('顾客');
  });

  it('诊所预约: date/datetime fields, enum statement, availability', () => {
    const s = analyse(GOLDEN_ZH.clinic);
    expect(fr(s, 'reserve', 'Doctor')).toMatchObject({ actor: '患者', priority: 'must' });
    expect(field(s, 'Appointment', '预约时间')?.type).toBe('datetime');
    expect(field(s, 'Appointment', '日期')?.type).toBe('date');
    expect(field(s, 'Appointment', '状态')).toMatchObject({
      type: 'enum',
      enumValues: ['待确认', '已确认', '已取消'],
    });
    expect(fr(s, 'cancel', 'Appointment')).toMatchObject({ actor: '患者', priority: 'could' });
    // The enum statement's words ("待确认") are values, not actions.
    expect(s.requirements.filter((r) => r.kind === 'functional').map((r) => r.action)).toEqual([
      'reserve',
      'cancel',
    ]);
    expect(s.nonFunctional[0]).toMatchObject({ metric: 'availability', value: 99.95 });
  });

  it("待办: coordinated verbs, should, won't", () => {
    const s = analyse(GOLDEN_ZH.todo);
    expect(fr(s, 'create', 'Task')?.actor).toBe('用户');
    expect(fr(s, 'update', 'Task')).toBeDefined();
    expect(fr(s, 'delete', 'Task')).toBeDefined();
    expect(fr(s, 'search', 'Task')?.priority).toBe('should');
    expect(field(s, 'Task', '截止日期')).toMatchObject({ name: 'dueDate', type: 'date' });
    expect(field(s, 'Task', '描述')?.type).toBe('text');
    expect(s.requirements.find((r) => r.source.includes('导出报表'))?.priority ?? 'wont').toBe('wont');
  });

  it('选课: min/max count rule and concurrency target', () => {
    const s = analyse(GOLDEN_ZH.courses);
    expect(s.requirements.find((r) => r.kind === 'business_rule')?.rule).toMatchObject({
      type: 'max_count',
      value: 5,
    });
    expect(s.nonFunctional[0]).toMatchObject({ metric: 'concurrent_users', op: '>=', value: 1000 });
    expect(entity(s, 'Course')).toBeDefined();
    expect(fr(s, 'enroll', 'Course')?.actor).toBe('学生');
    // "并发用户" is a load target, not something users do.
    expect(s.requirements.filter((r) => r.kind === 'functional')).toHaveLength(1);
  });

  it('博客: belongs to, text field, security mention', () => {
    const s = analyse(GOLDEN_ZH.blog);
    expect(fr(s, 'create', 'Article')?.actor).toBe('作者');
    expect(field(s, 'Article', '内容')?.type).toBe('text');
    expect(entity(s, 'Article')?.relations).toContainEqual({ kind: 'many_to_one', target: 'Category' });
    expect(s.openQuestions.some((q) => q.startsWith('[nfr_without_target]'))).toBe(true);
  });

  it('点餐: pinyin identifiers for words outside the lexicon', () => {
    const s = analyse(GOLDEN_ZH.dishes);
    expect(fr(s, 'list', 'Dish')?.actor).toBe('顾客');
    const taste = field(s, 'Dish', '口味');
    expect(taste?.name).toBe('kouwei');
  });

  it('酒店: field type and unique statements', () => {
    const s = analyse(GOLDEN_ZH.hotel);
    expect(entity(s, 'Room')).toBeDefined();
    expect(field(s, 'Room', '房号')?.unique).toBe(true);
  });

  it('throughput and tech hints', () => {
    const s = analyse(GOLDEN_ZH.orders);
    expect(fr(s, 'read', 'Order')?.actor).toBe('用户');
    expect(s.nonFunctional).toContainEqual(expect.objectContaining({ metric: 'throughput', value: 500 }));
    expect(s.techHints).toEqual(expect.arrayContaining(['mobile', 'real-time', 'PostgreSQL']));
    // Naming the database is a constraint the architecture honours: understood, not an open question.
    expect(s.openQuestions).not.toContain('[unmapped] "数据存储在PostgreSQL中。"');
  });

  it('sentences the engine cannot map stay in openQuestions', () => {
    const s = analyse(UNMAPPABLE.zh);
    expect(s.metrics.functionalRequirements).toBe(0);
    expect(s.openQuestions.some((q) => q.includes('这是一段美好的旅程'))).toBe(true);
    expect(s.openQuestions.some((q) => q.includes('一切都很神奇'))).toBe(true);
    expect(s.metrics.sentenceCoverage).toBe(0);
  });
});

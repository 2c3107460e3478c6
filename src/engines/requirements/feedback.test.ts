import { describe, expect, it } from 'vitest';
import { RequirementsSpec } from '../../contracts/requirements.js';
import { analyzeRequirements } from './analyze.js';

const TEXT =
  'Librarians add books with title, author, price and notes. Members borrow books. ' +
  'Members should be able to search books. The API must respond within 200 ms.';

function rest(s: RequirementsSpec, skipIds: string[]) {
  return s.requirements.filter((r) => !skipIds.includes(r.id));
}

describe('feedback re-run', () => {
  const before = RequirementsSpec.parse(analyzeRequirements({ text: TEXT }));
  const search = before.requirements.find((r) => r.action === 'search')!;
  const borrow = before.requirements.find((r) => r.action === 'borrow')!;

  it('applies exactly the English commands and keeps everything else', () => {
    const feedback = [
      `change ${search.id} priority to must`,
      'field price is a text',
      'remove field notes from Book',
      `drop ${borrow.id}`,
      'add: members can reserve books',
      'change REQ-999 priority to could',
      'rename everything to foo',
    ].join('\n');
    const after = RequirementsSpec.parse(analyzeRequirements({ text: TEXT, feedback, previous: before }));
    expect(after.requirements.find((r) => r.id === search.id)?.priority).toBe('must');
    expect(after.requirements.some((r) => r.id === borrow.id)).toBe(false);
    const book = after.entities.find((e) => e.name === 'Book')!;
    expect(book.fields.find((f) => f.name === 'price')?.type).toBe('text');
    expect(book.fields.some((f) => f.name === 'notes')).toBe(false);
    const reserve = after.requirements.find((r) => r.action === 'reserve');
    expect(reserve?.actor).toBe('member');
    // New ids never reuse dropped ones.
    const maxBefore = Math.max(...before.requirements.map((r) => Number(r.id.slice(4))));
    expect(Number(reserve!.id.slice(4))).toBeGreaterThan(maxBefore);
    expect(
      after.openQuestions.some((q) => q.startsWith('[feedback_unapplied]') && q.includes('REQ-999')),
    ).toBe(true);
    expect(
      after.openQuestions.some(
        (q) => q.startsWith('[feedback_unapplied]') && q.includes('rename everything'),
      ),
    ).toBe(true);

    // Nothing else changed: untouched requirements keep id, text, priority, criteria.
    const untouched = rest(before, [search.id, borrow.id]);
    expect(rest(after, [search.id, borrow.id, reserve!.id])).toEqual(untouched);
    const otherFields = (s: RequirementsSpec) =>
      s.entities
        .find((e) => e.name === 'Book')!
        .fields.filter((f) => f.name !== 'price' && f.name !== 'notes');
    expect(otherFields(after)).toEqual(otherFields(before));
    expect(after.nonFunctional).toEqual(before.nonFunctional);
    expect(after.projectName).toBe(before.projectName);
  });

  it('applies the Chinese grammar', () => {
    const zh = RequirementsSpec.parse(
      analyzeRequirements({ text: '管理员可以添加图书。图书包含书名、价格和备注。会员应该能够搜索图书。' }),
    );
    const searchZh = zh.requirements.find((r) => r.action === 'search')!;
    const create = zh.requirements.find((r) => r.action === 'create')!;
    const after = RequirementsSpec.parse(
      analyzeRequirements({
        text: '',
        previous: zh,
        feedback: `将${searchZh.id}的优先级改为必须\n从图书删除字段备注\n字段价格是整数\n删除REQ-099\n添加：会员可以借阅图书`,
      }),
    );
    expect(after.requirements.find((r) => r.id === searchZh.id)?.priority).toBe('must');
    const book = after.entities.find((e) => e.name === 'Book')!;
    expect(book.fields.some((f) => f.label === '备注')).toBe(false);
    expect(book.fields.find((f) => f.label === '价格')?.type).toBe('integer');
    expect(after.requirements.find((r) => r.action === 'borrow')?.actor).toBe('会员');
    expect(after.requirements.find((r) => r.id === create.id)).toEqual(create);
    expect(
      after.openQuestions.some((q) => q.startsWith('[feedback_unapplied]') && q.includes('REQ-099')),
    ).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { analyzeRequirements } from './analyze.js';
import { behaviourOf } from './behaviour.js';

const rulesOf = (text: string) =>
  analyzeRequirements({ text }).requirements.flatMap((r) => (r.rule ? [r.rule] : []));

describe('behaviour sentences (issue 17)', () => {
  it('reads an effect and its guard in English, with the record referencing its target', () => {
    const spec = analyzeRequirements({
      text: "Staff add products with a name and a stock. Each sale has a product and a quantity. A sale lowers the product's stock by its quantity. A sale larger than the stock must be refused.",
    });
    const rules = spec.requirements.flatMap((r) => (r.rule ? [r.rule] : []));
    expect(rules).toContainEqual({
      type: 'effect',
      entity: 'Sale',
      action: 'create',
      target: 'Product',
      field: 'stock',
      change: 'decrease',
      amount: 'quantity',
    });
    expect(rules).toContainEqual(
      expect.objectContaining({ type: 'min_value', value: 0, entity: 'Product', field: 'stock' }),
    );
    expect(spec.entities.find((e) => e.name === 'Sale')?.relations).toContainEqual(
      expect.objectContaining({ kind: 'many_to_one', target: 'Product' }),
    );
    // The rule's verbs are not features: no "Stock" entity, no "lower stock" requirement.
    expect(spec.entities.map((e) => e.name)).not.toContain('Stock');
  });

  it('reads the same in Chinese', () => {
    const rules = rulesOf(
      '店员可以添加商品，每个商品有名称和库存。每笔销售有商品和数量。销售按数量减少商品的库存。销售数量超过库存时必须拒绝。',
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        type: 'effect',
        entity: 'Sale',
        target: 'Product',
        field: 'stock',
        change: 'decrease',
      }),
    );
    expect(rules).toContainEqual(expect.objectContaining({ type: 'min_value', value: 0, field: 'stock' }));
  });

  it('reads exclusive holds in both languages and passive or adjective forms', () => {
    expect(
      rulesOf(
        'Customers rent cars. A car that is out on rental cannot be rented again until it is returned.',
      ),
    ).toContainEqual({
      type: 'exclusive',
      entity: 'Car',
      take: 'rent',
      release: 'return',
    });
    expect(
      rulesOf(
        'Members borrow tools. A borrowed tool cannot be borrowed by anyone else until it is returned.',
      ),
    ).toContainEqual(expect.objectContaining({ type: 'exclusive', entity: 'Tool', take: 'borrow' }));
    expect(rulesOf('客户可以租用车辆。已租出的车辆在归还之前不能再次出租。')).toContainEqual({
      type: 'exclusive',
      entity: 'Vehicle',
      take: 'rent',
      release: 'return',
    });
  });

  it('leaves ordinary sentences alone', () => {
    expect(behaviourOf('Members can borrow books.', 'en')).toBeNull();
    expect(behaviourOf('会员可以借阅图书。', 'zh')).toBeNull();
  });

  it('answers adversarial sentences (their speed is in `npm run bench -- hostile`) and skips over-long ones', () => {
    const hostile = [
      `${'a '.repeat(140)}lowers the x's y`,
      `a car ${'rented '.repeat(40)}cannot be`,
      `${'销售'.repeat(140)}减少`,
    ];
    for (const s of hostile) expect(behaviourOf(s, /[\u4e00-\u9fff]/.test(s) ? 'zh' : 'en')).toBeNull();
    expect(
      behaviourOf(`A sale lowers the product's stock by its quantity ${'and more '.repeat(40)}`, 'en'),
    ).toBeNull();
  });
});
